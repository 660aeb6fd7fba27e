// ZeroMQ's C API (Debian: libzmq3-dev), for the Jupyter kernel's sockets.
#if __has_include(<zmq.h>)
#include <zmq.h>
#else
#error "ZeroMQ's headers (zmq.h) are missing: install libzmq3-dev (Debian/Ubuntu: sudo apt-get install libzmq3-dev; macOS: brew install zeromq) or run scripts/setup, or build without the Jupyter kernel: swift build --disable-default-traits --traits Readline,VectorMath"
#endif
