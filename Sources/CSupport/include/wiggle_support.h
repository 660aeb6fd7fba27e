// Small C helpers for what Swift 6 cannot touch directly: signal handlers and
// the process-wide flag they set.
#ifndef WIGGLE_SUPPORT_H
#define WIGGLE_SUPPORT_H

/// Installs a SIGINT handler (without SA_RESTART) that records the signal.
/// A second Ctrl-C before the first is handled exits at once with status 130.
void wiggle_install_sigint(void);

/// 1 when Ctrl-C was pressed and not yet cleared.
int wiggle_sigint_pending(void);

/// Forgets a pending Ctrl-C (the REPL, after returning to its prompt).
void wiggle_clear_sigint(void);

#endif
