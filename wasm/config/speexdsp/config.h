/* Hand-written configuration for the speexdsp 1.2.1 resampler compiled to wasm32-wasi. */
#define FLOATING_POINT 1
#define VAR_ARRAYS 1
#define HAVE_STDINT_H 1
#define EXPORT
#define OS_SUPPORT_CUSTOM 1
