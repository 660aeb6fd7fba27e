// GNU readline for Swift. <stdio.h> first: readline.h uses FILE without including it.
#include <stdio.h>
#if __has_include(<readline/readline.h>)
#include <readline/readline.h>
#include <readline/history.h>
#else
#error "GNU readline's headers are missing: install libreadline-dev (Debian/Ubuntu: sudo apt-get install libreadline-dev; macOS: brew install readline) or run scripts/setup, or build without it (a plain line reader): swift build --disable-default-traits --traits Kernel,VectorMath"
#endif
