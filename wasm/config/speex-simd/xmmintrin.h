/*
 * The SSE intrinsics libspeex 1.2.1 uses with _USE_SSE (filters_sse.h, ltp_sse.h,
 * cb_search_sse.h, vq.c), written with WebAssembly SIMD. build.sh puts this directory first on
 * the include path for the SIMD variants, so speex's own SSE code paths compile unchanged.
 * Each function computes exactly what the SSE instruction does (IEEE single precision, lane
 * for lane), so results match Debian's SSE build of libspeex.
 */
#ifndef CALLBRIDGE_WASM_XMMINTRIN_H
#define CALLBRIDGE_WASM_XMMINTRIN_H
#include <wasm_simd128.h>

/* Like SSE's own __m128: float lanes, and may alias float data (speex reads __m128 arrays
 * through float pointers, which strict aliasing would otherwise let the optimizer reorder). */
typedef float __m128 __attribute__((__vector_size__(16), __aligned__(16), __may_alias__));
#define V(x) ((v128_t)(x))
#define M(x) ((__m128)(x))

static inline __m128 _mm_add_ps(__m128 a, __m128 b) { return M(wasm_f32x4_add(V(a), V(b))); }
static inline __m128 _mm_sub_ps(__m128 a, __m128 b) { return M(wasm_f32x4_sub(V(a), V(b))); }
static inline __m128 _mm_mul_ps(__m128 a, __m128 b) { return M(wasm_f32x4_mul(V(a), V(b))); }
static inline __m128 _mm_loadu_ps(const float *p) { return M(wasm_v128_load(p)); }
static inline void _mm_storeu_ps(float *p, __m128 a) { wasm_v128_store(p, V(a)); }
static inline void _mm_store_ss(float *p, __m128 a) { *p = a[0]; }
static inline __m128 _mm_setzero_ps(void) { return M(wasm_f32x4_splat(0.0f)); }
static inline __m128 _mm_set1_ps(float x) { return M(wasm_f32x4_splat(x)); }
static inline __m128 _mm_set_ps1(float x) { return M(wasm_f32x4_splat(x)); }
static inline __m128 _mm_load_ps1(const float *p) { return M(wasm_f32x4_splat(*p)); }
static inline __m128 _mm_setr_ps(float a, float b, float c, float d) { return M(wasm_f32x4_make(a, b, c, d)); }
/* Lane 0 from b, lanes 1-3 from a. */
static inline __m128 _mm_move_ss(__m128 a, __m128 b) { return M(wasm_i32x4_shuffle(V(a), V(b), 4, 1, 2, 3)); }
static inline __m128 _mm_add_ss(__m128 a, __m128 b) {
  a[0] = a[0] + b[0];
  return a;
}
static inline __m128 _mm_sub_ss(__m128 a, __m128 b) {
  a[0] = a[0] - b[0];
  return a;
}
/* [b2, b3, a2, a3] */
static inline __m128 _mm_movehl_ps(__m128 a, __m128 b) { return M(wasm_i32x4_shuffle(V(a), V(b), 6, 7, 2, 3)); }
/* Lanes 0-1 from a, 2-3 from b, chosen by the 2-bit fields of a constant immediate. */
#define _mm_shuffle_ps(a, b, imm)                                                                 \
  M(wasm_i32x4_shuffle(V(a), V(b), (imm) & 3, ((imm) >> 2) & 3, (((imm) >> 4) & 3) + 4, (((imm) >> 6) & 3) + 4))

#endif
