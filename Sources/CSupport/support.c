// support.c — SIGINT handling for the wiggle command (see wiggle_support.h).
#include "wiggle_support.h"
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t pending = 0;
static volatile sig_atomic_t exit_on_second_signal = 1;

static void on_sigint(int signal_number) {
    (void)signal_number;
    if (pending && exit_on_second_signal) {
        // A second Ctrl-C: the user means it.
        _exit(130);
    }
    pending = 1;
}

void wiggle_install_sigint(int exit_on_second) {
    exit_on_second_signal = exit_on_second;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_sigint;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;  // no SA_RESTART: a blocked read returns EINTR
    sigaction(SIGINT, &action, NULL);
    // A parent may have started us with SIGINT blocked (threads of a test
    // runner often block signals, and a blocked mask is inherited): unblock
    // it, so that Ctrl-C reaches the handler. Threads started later inherit this.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

int wiggle_sigint_pending(void) { return pending != 0; }

void wiggle_clear_sigint(void) { pending = 0; }
