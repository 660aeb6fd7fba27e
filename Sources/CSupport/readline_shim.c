// readline_shim.c — GNU readline set-up for the REPL (see wiggle_support.h).
#include "wiggle_support.h"
#include <errno.h>
#include <pty.h>
#include <sys/ioctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
// WIGGLE_HAS_READLINE comes from Package.swift's Readline trait (on by default).
#ifdef WIGGLE_HAS_READLINE
#if !__has_include(<readline/readline.h>)
#error "GNU readline's headers are missing: install libreadline-dev (Debian/Ubuntu: sudo apt-get install libreadline-dev; macOS: brew install readline) or run scripts/setup, or build without it (a plain line reader): swift build --disable-default-traits --traits Kernel,VectorMath"
#endif
#include <readline/readline.h>
#include <readline/history.h>
#endif

static volatile int prompt_interrupted = 0;

#ifdef WIGGLE_HAS_READLINE
static char **completion_words = NULL;
static int completion_count = 0;

// Reads a key. Ctrl-C (SIGINT, whose handler has no SA_RESTART) interrupts
// read() with EINTR: clear the line and end it, so readline returns "".
static int wiggle_getc(FILE *stream) {
    unsigned char c;
    for (;;) {
        if (wiggle_sigint_pending()) {
            // Ctrl-C arrived while readline was busy between reads.
            wiggle_clear_sigint();
            prompt_interrupted = 1;
            rl_replace_line("", 0);
            return '\n';
        }
        ssize_t n = read(fileno(stream), &c, 1);
        if (n == 1) return c;
        if (n == 0) return EOF;
        if (errno == EINTR) {
            if (wiggle_sigint_pending()) {
                wiggle_clear_sigint();
                prompt_interrupted = 1;
                rl_replace_line("", 0);
                return '\n';
            }
            continue;
        }
        return EOF;
    }
}

static char *completion_generator(const char *text, int state) {
    static int index;
    static size_t length;
    if (state == 0) {
        index = 0;
        length = strlen(text);
    }
    while (index < completion_count) {
        const char *word = completion_words[index++];
        if (strncmp(word, text, length) == 0) return strdup(word);
    }
    return NULL;
}

/* After ":load ", complete file names: words break at spaces only. */
static int completing_file(void) {
    return strncmp(rl_line_buffer, ":load ", 6) == 0 && rl_point >= 6;
}

static char *word_breaks(void) {
    return completing_file() ? " \t\n" : NULL;
}

static char **wiggle_completion(const char *text, int start, int end) {
    (void)start;
    (void)end;
    if (completing_file()) {
        rl_attempted_completion_over = 1;
        return rl_completion_matches(text, rl_filename_completion_function);
    }
    rl_attempted_completion_over = 1;  // names only, no file names
    return rl_completion_matches(text, completion_generator);
}

void wiggle_rl_setup(void) {
    rl_readline_name = "wiggle";
    rl_catch_signals = 0;
    rl_getc_function = wiggle_getc;
    rl_attempted_completion_function = wiggle_completion;
    rl_completion_word_break_hook = word_breaks;
    rl_basic_word_break_characters = " \t\n\"(),[]{}+-*/^<>=;!@";
    // Timestamps mark where each entry begins, so an entry spanning several
    // lines comes back from the history file as one.
    // (Timestamps are only written when they start with the comment character.)
    history_comment_char = '#';
    history_write_timestamps = 1;
    history_multiline_entries = 1;
}

void wiggle_rl_set_completions(const char *const *words, int count) {
    for (int i = 0; i < completion_count; i++) free(completion_words[i]);
    free(completion_words);
    completion_words = calloc((size_t)(count > 0 ? count : 1), sizeof(char *));
    completion_count = 0;
    if (completion_words == NULL) return;
    for (int i = 0; i < count; i++) {
        completion_words[i] = strdup(words[i]);
        if (completion_words[i] != NULL) completion_count = i + 1;
    }
}

#else
// Without readline the REPL reads plain lines; these do nothing.
void wiggle_rl_setup(void) {}
void wiggle_rl_set_completions(const char *const *words, int count) { (void)words; (void)count; }
#endif

int wiggle_rl_take_prompt_interrupt(void) {
    int was = prompt_interrupted;
    prompt_interrupted = 0;
    return was;
}

int wiggle_spawn_on_pty(const char *path, char *const argv[], char *const envp[], int *master) {
    pid_t pid = forkpty(master, NULL, NULL, NULL);
    if (pid == 0) {
        execve(path, argv, envp);
        _exit(127);
    }
    return (int)pid;
}

int wiggle_terminal_columns(int fd) {
    struct winsize size;
    if (ioctl(fd, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
    return 80;
}
