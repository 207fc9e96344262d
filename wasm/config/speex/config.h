/* Hand-written configuration for libspeex 1.2.1 compiled to wasm32-wasi: floating point,
 * C99 variable-length arrays, built-in FFT unused (no Vorbis psychoacoustics). */
#define FLOATING_POINT 1
#define VAR_ARRAYS 1
#define HAVE_STDINT_H 1
#define EXPORT
#define SPEEX_VERSION "1.2.1"
#define SPEEX_MAJOR_VERSION 1
#define SPEEX_MINOR_VERSION 2
#define SPEEX_MICRO_VERSION 1
#define SPEEX_EXTRA_VERSION ""
#define OS_SUPPORT_CUSTOM 1
