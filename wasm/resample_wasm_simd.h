/*
 * WebAssembly SIMD inner products for the speexdsp 1.2.1 resampler (float build).
 *
 * speexdsp has SSE and NEON versions of its two hot loops (resample_sse.h, resample_neon.h)
 * selected with USE_SSE / USE_NEON. build.sh compiles resample.c with -DUSE_SSE and this file
 * in place of resample_sse.h. The lanes are accumulated and reduced in the same order as the
 * SSE version, so the output matches Debian's SSE build of libspeexdsp bit for bit.
 */
#include <wasm_simd128.h>

#define OVERRIDE_INNER_PRODUCT_SINGLE
static inline float inner_product_single(const float *a, const float *b, unsigned int len) {
  v128_t sum = wasm_f32x4_splat(0.0f);
  for (unsigned int i = 0; i < len; i += 8) {
    sum = wasm_f32x4_add(sum, wasm_f32x4_mul(wasm_v128_load(a + i), wasm_v128_load(b + i)));
    sum = wasm_f32x4_add(sum, wasm_f32x4_mul(wasm_v128_load(a + i + 4), wasm_v128_load(b + i + 4)));
  }
  /* (s0 + s2) + (s1 + s3), as _mm_movehl_ps + _mm_shuffle_ps + _mm_add_ss. */
  float low = wasm_f32x4_extract_lane(sum, 0) + wasm_f32x4_extract_lane(sum, 2);
  float high = wasm_f32x4_extract_lane(sum, 1) + wasm_f32x4_extract_lane(sum, 3);
  return low + high;
}

#define OVERRIDE_INTERPOLATE_PRODUCT_SINGLE
static inline float interpolate_product_single(const float *a, const float *b, unsigned int len,
                                               const spx_uint32_t oversample, float *frac) {
  v128_t sum = wasm_f32x4_splat(0.0f);
  for (unsigned int i = 0; i < len; i += 2) {
    sum = wasm_f32x4_add(sum, wasm_f32x4_mul(wasm_f32x4_splat(a[i]), wasm_v128_load(b + i * oversample)));
    sum = wasm_f32x4_add(sum, wasm_f32x4_mul(wasm_f32x4_splat(a[i + 1]), wasm_v128_load(b + (i + 1) * oversample)));
  }
  sum = wasm_f32x4_mul(wasm_v128_load(frac), sum);
  float low = wasm_f32x4_extract_lane(sum, 0) + wasm_f32x4_extract_lane(sum, 2);
  float high = wasm_f32x4_extract_lane(sum, 1) + wasm_f32x4_extract_lane(sum, 3);
  return low + high;
}
