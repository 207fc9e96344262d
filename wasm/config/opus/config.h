/* Hand-written configuration for libopus 1.3.1 compiled to wasm32-wasi (autotools does not
 * accept this compiler). Floating-point build, C99 variable-length arrays for scratch space,
 * no CPU-specific code paths (none exist for WebAssembly in 1.3.1). */
#define OPUS_BUILD 1
#define VAR_ARRAYS 1
#define HAVE_LRINT 1
#define HAVE_LRINTF 1
#define HAVE_STDINT_H 1
#define HAVE_STDLIB_H 1
#define HAVE_STRING_H 1
#define PACKAGE_VERSION "1.3.1"

/* wasi-libc's lrintf/lrint are out-of-line calls, and opus converts every output sample with
 * them. WebAssembly has only round-to-nearest-even, so f32.nearest/f64.nearest plus a
 * truncation compute the same result inline. <math.h> comes first so its prototypes are
 * declared before the macros exist. */
#include <math.h>
#define lrintf(x) ((long)__builtin_rintf(x))
#define lrint(x) ((long)__builtin_rint(x))
