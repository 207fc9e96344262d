/* bcg729 1.1.1 needs no configuration for wasm32-wasi; typedef.h includes this when
 * HAVE_CONFIG_H is set. */
