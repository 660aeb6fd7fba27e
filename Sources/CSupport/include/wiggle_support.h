// Small C helpers for what Swift 6 cannot touch directly: signal handlers,
// the process-wide flag they set, and GNU readline's global variables.
#ifndef WIGGLE_SUPPORT_H
#define WIGGLE_SUPPORT_H

/// Installs a SIGINT handler (without SA_RESTART) that records the signal.
/// With `exit_on_second` set, a second Ctrl-C before the first is handled
/// exits at once with status 130 (scripts); the REPL passes 0.
void wiggle_install_sigint(int exit_on_second);

/// 1 when Ctrl-C was pressed and not yet cleared.
int wiggle_sigint_pending(void);

/// Forgets a pending Ctrl-C (the REPL, after returning to its prompt).
void wiggle_clear_sigint(void);

/// Sets readline up for the REPL: its name, a getc that turns Ctrl-C at the
/// prompt into an empty line, completion from `wiggle_rl_set_completions`,
/// and multi-line history entries that survive the history file.
void wiggle_rl_setup(void);

/// Replaces the words offered by tab completion (copied).
void wiggle_rl_set_completions(const char *const *words, int count);

/// 1 (once) when the last readline call ended because of Ctrl-C.
int wiggle_rl_take_prompt_interrupt(void);

/// The width of the terminal on `fd`, or 80.
int wiggle_terminal_columns(int fd);

/// Starts `path` with `argv` on a new pseudo-terminal; returns the child's
/// pid and stores the terminal's controlling side in `*master` (for tests).
int wiggle_spawn_on_pty(const char *path, char *const argv[], char *const envp[], int *master);

#endif
