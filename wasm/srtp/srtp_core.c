/*
 * SRTP packet core for @callbridge/srtp, compiled to WebAssembly (wasm/srtp/build.sh): the parts
 * of a packet transform that are slow in JavaScript and need no AES (the AES keystream comes
 * from the caller, in linear memory):
 *  - HMAC-SHA1 (RFC 2104, FIPS 180-4 §6.1) from pre-keyed inner/outer states, over the packet
 *    followed by the rollover counter (RFC 3711 §4.2);
 *  - GHASH (NIST SP 800-38D §6.4) with one 256-entry table per octet position for H and for H^2
 *    (128 KiB per key), two blocks per step, using 128-bit SIMD lanes for each table entry;
 *  - the counter blocks whose encryption is the keystream, and the keystream XOR.
 * No allocation, no libc: the caller places keys, tables and packets in linear memory.
 */
#include <stdint.h>
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(#name)))
#define ROL(x, n) (((x) << (n)) | ((x) >> (32 - (n))))

static inline uint32_t load_be32(const uint8_t *p) {
  uint32_t v;
  __builtin_memcpy(&v, p, 4);
  return __builtin_bswap32(v);
}

static inline void store_be32(uint8_t *p, uint32_t v) {
  v = __builtin_bswap32(v);
  __builtin_memcpy(p, &v, 4);
}

/* FIPS 180-4 §6.1.2 on `blocks` consecutive 64-octet blocks. */
static void sha1_compress(uint32_t h[5], const uint8_t *data, uint32_t blocks) {
  uint32_t w[16];
  while (blocks--) {
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], t;
#define SCHEDULE(i) \
  (w[(i) & 15] = ROL(w[((i) - 3) & 15] ^ w[((i) - 8) & 15] ^ w[((i) - 14) & 15] ^ w[(i) & 15], 1))
#define STEP(f, k, word) \
  t = ROL(a, 5) + (f) + e + (word) + (k); \
  e = d; \
  d = c; \
  c = ROL(b, 30); \
  b = a; \
  a = t;
#define CH ((b & c) | (~b & d))
#define PARITY (b ^ c ^ d)
#define MAJ ((b & c) | (b & d) | (c & d))
    for (int i = 0; i < 16; i++) {
      w[i] = load_be32(data + 4 * i);
      STEP(CH, 0x5a827999u, w[i])
    }
    for (int i = 16; i < 20; i++) { STEP(CH, 0x5a827999u, SCHEDULE(i)) }
    for (int i = 20; i < 40; i++) { STEP(PARITY, 0x6ed9eba1u, SCHEDULE(i)) }
    for (int i = 40; i < 60; i++) { STEP(MAJ, 0x8f1bbcdcu, SCHEDULE(i)) }
    for (int i = 60; i < 80; i++) { STEP(PARITY, 0xca62c1d6u, SCHEDULE(i)) }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
    data += 64;
  }
}

static const uint32_t SHA1_INIT[5] = {0x67452301u, 0xefcdab89u, 0x98badcfeu, 0x10325476u,
                                      0xc3d2e1f0u};

/*
 * HMAC key state (128 octets): words 0-4 the SHA-1 state after (key XOR ipad), words 5-9 after
 * (key XOR opad), octets 64-127 the block (key XOR ipad) itself, for callers that hash the inner
 * message elsewhere. `key` has at most 64 octets (SRTP authentication keys have 20).
 */
EXPORT(hmac_sha1_init)
void hmac_sha1_init(uint32_t state[32], const uint8_t *key, uint32_t key_length) {
  uint8_t *pad = (uint8_t *)(state + 16);
  for (int i = 0; i < 64; i++) pad[i] = (i < (int)key_length ? key[i] : 0) ^ 0x36;
  for (int i = 0; i < 5; i++) state[i] = SHA1_INIT[i];
  sha1_compress(state, pad, 1);
  uint8_t outer[64];
  for (int i = 0; i < 64; i++) outer[i] = pad[i] ^ 0x36 ^ 0x5c;
  for (int i = 0; i < 5; i++) state[5 + i] = SHA1_INIT[i];
  sha1_compress(state + 5, outer, 1);
}

/* The outer hash of HMAC-SHA1 over the 20-octet inner hash: SHA1((key XOR opad) || inner). */
static void hmac_sha1_outer(const uint32_t state[10], const uint32_t inner[5], uint8_t mac[20]) {
  uint8_t outer[64];
  uint32_t h[5];
  for (int i = 0; i < 5; i++) store_be32(outer + 4 * i, inner[i]);
  outer[20] = 0x80;
  for (int i = 21; i < 62; i++) outer[i] = 0;
  outer[62] = (84 * 8) >> 8;
  outer[63] = (uint8_t)(84 * 8);
  for (int i = 0; i < 5; i++) h[i] = state[5 + i];
  sha1_compress(h, outer, 1);
  for (int i = 0; i < 5; i++) store_be32(mac + 4 * i, h[i]);
}

/*
 * Completes an HMAC whose inner hash SHA1((key XOR ipad) || message) the caller computed (a
 * native SHA-1 is faster on long packets): writes the first `tag_length` octets of the MAC to
 * `tag`, or, when `verify`, compares them with `tag` in constant time and returns 1 if equal.
 */
EXPORT(hmac_sha1_finish)
int hmac_sha1_finish(const uint32_t state[10], const uint8_t inner_digest[20], uint8_t *tag,
                     uint32_t tag_length, int verify) {
  uint32_t inner[5];
  uint8_t mac[20];
  for (int i = 0; i < 5; i++) inner[i] = load_be32(inner_digest + 4 * i);
  hmac_sha1_outer(state, inner, mac);
  if (!verify) {
    for (uint32_t i = 0; i < tag_length; i++) tag[i] = mac[i];
    return 1;
  }
  uint32_t diff = 0;
  for (uint32_t i = 0; i < tag_length; i++) diff |= (uint32_t)(mac[i] ^ tag[i]);
  return diff == 0;
}

/*
 * HMAC-SHA1 of msg[0..length) followed, when `with_roc`, by `roc` as 32 bits big-endian
 * (RFC 3711 §4.2); the 20-octet MAC goes to `mac`.
 */
static void hmac_sha1(const uint32_t state[10], const uint8_t *msg, uint32_t length, uint32_t roc,
                      int with_roc, uint8_t mac[20]) {
  uint32_t h[5];
  uint8_t tail[128];
  for (int i = 0; i < 5; i++) h[i] = state[i];
  uint32_t whole = length & ~63u;
  sha1_compress(h, msg, whole >> 6);
  uint32_t rest = length - whole;
  for (uint32_t i = 0; i < rest; i++) tail[i] = msg[whole + i];
  if (with_roc) {
    store_be32(tail + rest, roc);
    rest += 4;
  }
  uint64_t bits = ((uint64_t)64 + length + (with_roc ? 4 : 0)) * 8;
  tail[rest++] = 0x80;
  uint32_t tail_blocks = rest + 8 <= 64 ? 1 : 2;
  uint32_t end = tail_blocks * 64;
  while (rest < end - 8) tail[rest++] = 0;
  store_be32(tail + end - 8, (uint32_t)(bits >> 32));
  store_be32(tail + end - 4, (uint32_t)bits);
  sha1_compress(h, tail, tail_blocks);
  hmac_sha1_outer(state, h, mac);
}

/*
 * Counter blocks for `count` consecutive packet indices from `index_high`·2^32 + `index_low`,
 * `blocks` per packet, written to `out` (their AES encryption is the keystream). `cm`: RFC 3711
 * §4.1.1, IV = (salt·2^16) XOR (SSRC·2^64) XOR (index·2^16), block number in the low 16 bits,
 * with a 14-octet salt. Otherwise RFC 7714 §8.1: IV = (00 00 || SSRC || index as 48 bits) XOR
 * salt (12 octets), then a 32-bit block counter from 1 (block 0 is J0, whose encryption masks the
 * tag). For SRTP the index is ROC·2^16 + SEQ; for SRTCP the 31-bit SRTCP index.
 */
EXPORT(counter_blocks)
void counter_blocks(uint8_t *out, const uint8_t *salt, int cm, uint32_t ssrc, uint32_t index_high,
                    uint32_t index_low, uint32_t count, uint32_t blocks) {
  uint64_t first = ((uint64_t)index_high << 32) | index_low;
  for (uint32_t p = 0; p < count; p++) {
    uint64_t index = first + p;
    uint32_t high = (uint32_t)(index >> 16); /* ROC, or the upper bits of an SRTCP index */
    uint32_t low = (uint32_t)index & 0xffff;
    uint8_t iv[16] = {0};
    int at = cm ? 4 : 2;
    for (int i = 0; i < (cm ? 14 : 12); i++) iv[i] = salt[i];
    iv[at] ^= (uint8_t)(ssrc >> 24);
    iv[at + 1] ^= (uint8_t)(ssrc >> 16);
    iv[at + 2] ^= (uint8_t)(ssrc >> 8);
    iv[at + 3] ^= (uint8_t)ssrc;
    iv[at + 4] ^= (uint8_t)(high >> 24);
    iv[at + 5] ^= (uint8_t)(high >> 16);
    iv[at + 6] ^= (uint8_t)(high >> 8);
    iv[at + 7] ^= (uint8_t)high;
    iv[at + 8] ^= (uint8_t)(low >> 8);
    iv[at + 9] ^= (uint8_t)low;
    v128_t base = wasm_v128_load(iv);
    for (uint32_t j = 0; j < blocks; j++) {
      /* the counter (big-endian) sits in the last 4 octets; lane 3 holds them little-endian */
      uint32_t counter = __builtin_bswap32(cm ? j : j + 1);
      wasm_v128_store(out, wasm_v128_or(base, wasm_i32x4_make(0, 0, 0, (int32_t)counter)));
      out += 16;
    }
  }
}

/* dst[0..n) ^= ks[0..n) */
EXPORT(xor_keystream)
void xor_keystream(uint8_t *dst, const uint8_t *ks, uint32_t n) {
  uint32_t i = 0;
  for (; i + 16 <= n; i += 16) {
    wasm_v128_store(dst + i, wasm_v128_xor(wasm_v128_load(dst + i), wasm_v128_load(ks + i)));
  }
  for (; i < n; i++) dst[i] ^= ks[i];
}

/*
 * RFC 3711 §3.3 sender side for AES-CM + HMAC-SHA1: encrypts pkt[start..length) with `ks` (when
 * `ks` is not 0), then writes the first `tag_length` octets of HMAC(pkt[0..length) [|| roc]) to
 * pkt[length..].
 */
EXPORT(cm_protect)
void cm_protect(const uint32_t state[10], uint8_t *pkt, uint32_t start, uint32_t length,
                const uint8_t *ks, uint32_t roc, int with_roc, uint32_t tag_length) {
  uint8_t mac[20];
  if (ks) xor_keystream(pkt + start, ks, length - start);
  hmac_sha1(state, pkt, length, roc, with_roc, mac);
  for (uint32_t i = 0; i < tag_length; i++) pkt[length + i] = mac[i];
}

/* Whether pkt[length..length+tag_length) is the HMAC tag of pkt[0..length) [|| roc], in constant time. */
EXPORT(cm_verify)
int cm_verify(const uint32_t state[10], const uint8_t *pkt, uint32_t length, uint32_t roc,
              int with_roc, uint32_t tag_length) {
  uint8_t mac[20];
  hmac_sha1(state, pkt, length, roc, with_roc, mac);
  uint32_t diff = 0;
  for (uint32_t i = 0; i < tag_length; i++) diff |= (uint32_t)(mac[i] ^ pkt[length + i]);
  return diff == 0;
}

/*
 * GHASH tables for one factor F: T[p][b] = (octet b at position p of a block) · F, 16 positions
 * × 256 entries of one 16-octet field element each, in GCM's octet order (the most significant
 * bit of octet 0 is the coefficient of x^0), so a product is the XOR of 16 table entries.
 */
static void ghash_table(v128_t table[16 * 256], const uint8_t h[16]) {
  uint64_t hi = ((uint64_t)load_be32(h) << 32) | load_be32(h + 4);
  uint64_t lo = ((uint64_t)load_be32(h + 8) << 32) | load_be32(h + 12);
  for (int k = 0; k < 128; k++) {
    uint8_t entry[16];
    store_be32(entry, (uint32_t)(hi >> 32));
    store_be32(entry + 4, (uint32_t)hi);
    store_be32(entry + 8, (uint32_t)(lo >> 32));
    store_be32(entry + 12, (uint32_t)lo);
    table[(k >> 3) * 256 + (0x80 >> (k & 7))] = wasm_v128_load(entry);
    /* ·x: shift right one bit, reducing by x^128 = x^7 + x^2 + x + 1 (0xe1 || 0^120). */
    uint64_t carry = lo & 1;
    lo = (lo >> 1) | (hi << 63);
    hi = (hi >> 1) ^ (carry ? 0xe100000000000000ull : 0);
  }
  for (int p = 0; p < 16; p++) {
    v128_t *t = table + p * 256;
    t[0] = wasm_i64x2_splat(0);
    for (int b = 2; b < 256; b <<= 1) {
      for (int low = 1; low < b; low++) t[b + low] = wasm_v128_xor(t[b], t[low]);
    }
  }
}

static inline v128_t ghash_multiply(const v128_t *table, v128_t y);

#define GHASH_TABLE (16 * 256)

/*
 * Tables for H (entries 0..4095) and H^2 (4096..8191): with both, two blocks cost two
 * independent products, (Y XOR X1)·H^2 XOR X2·H, instead of two dependent ones.
 */
EXPORT(ghash_init)
void ghash_init(v128_t table[2 * GHASH_TABLE], const uint8_t h[16]) {
  uint8_t h2[16];
  ghash_table(table, h);
  wasm_v128_store(h2, ghash_multiply(table, wasm_v128_load(h)));
  ghash_table(table + GHASH_TABLE, h2);
}

/* The four table entries for octets 4k..4k+3 of Y, given as one little-endian word. */
static inline v128_t ghash_word(const v128_t *t, uint32_t word) {
  return wasm_v128_xor(wasm_v128_xor(t[word & 0xff], t[256 + ((word >> 8) & 0xff)]),
                       wasm_v128_xor(t[512 + ((word >> 16) & 0xff)], t[768 + (word >> 24)]));
}

/*
 * Y·F as the XOR of 16 table entries, one per octet of Y. The octets come four at a time from
 * Y's 32-bit lanes (four lane extracts and scalar shifts measured ~30% faster than sixteen octet
 * extracts, or a store and sixteen loads), summed in four independent XOR chains.
 */
static inline v128_t ghash_multiply(const v128_t *table, v128_t y) {
  v128_t a = ghash_word(table, (uint32_t)wasm_i32x4_extract_lane(y, 0));
  v128_t b = ghash_word(table + 1024, (uint32_t)wasm_i32x4_extract_lane(y, 1));
  v128_t c = ghash_word(table + 2048, (uint32_t)wasm_i32x4_extract_lane(y, 2));
  v128_t d = ghash_word(table + 3072, (uint32_t)wasm_i32x4_extract_lane(y, 3));
  return wasm_v128_xor(wasm_v128_xor(a, b), wasm_v128_xor(c, d));
}

/* Absorbs data[0..length), zero-padding its last partial block. */
static v128_t ghash_update(const v128_t *table, v128_t y, const uint8_t *data, uint32_t length) {
  uint32_t i = 0;
  for (; i + 32 <= length; i += 32) {
    v128_t second = ghash_multiply(table, wasm_v128_load(data + i + 16));
    v128_t first = ghash_multiply(table + GHASH_TABLE, wasm_v128_xor(y, wasm_v128_load(data + i)));
    y = wasm_v128_xor(first, second);
  }
  for (; i + 16 <= length; i += 16) {
    y = ghash_multiply(table, wasm_v128_xor(y, wasm_v128_load(data + i)));
  }
  if (i < length) {
    uint8_t block[16] = {0};
    for (uint32_t j = 0; i + j < length; j++) block[j] = data[i + j];
    y = ghash_multiply(table, wasm_v128_xor(y, wasm_v128_load(block)));
  }
  return y;
}

/*
 * NIST SP 800-38D §7.1 step 5-6: tag = GHASH(A || 0* || C || 0* || len(A) || len(C)) XOR mask,
 * mask = E(K, J0), written to `tag`.
 */
EXPORT(gcm_tag)
void gcm_tag(const v128_t *table, const uint8_t *aad, uint32_t aad_length, const uint8_t *text,
             uint32_t text_length, const uint8_t *mask, uint8_t *tag) {
  v128_t y = wasm_i64x2_splat(0);
  y = ghash_update(table, y, aad, aad_length);
  y = ghash_update(table, y, text, text_length);
  uint8_t lengths[16];
  store_be32(lengths, 0);
  store_be32(lengths + 4, aad_length * 8);
  store_be32(lengths + 8, 0);
  store_be32(lengths + 12, text_length * 8);
  y = ghash_multiply(table, wasm_v128_xor(y, wasm_v128_load(lengths)));
  wasm_v128_store(tag, wasm_v128_xor(y, wasm_v128_load(mask)));
}

/*
 * RFC 7714 §8 sender side: pkt[0..aad_length) is the AAD, pkt[aad_length..length) is encrypted
 * with the CTR blocks at ks + 16 and the tag (masked by E(K, J0) at ks) goes to pkt[length..+16).
 */
EXPORT(gcm_seal)
void gcm_seal(const v128_t *table, uint8_t *pkt, uint32_t aad_length, uint32_t length,
              const uint8_t *ks) {
  xor_keystream(pkt + aad_length, ks + 16, length - aad_length);
  gcm_tag(table, pkt, aad_length, pkt + aad_length, length - aad_length, ks, pkt + length);
}

/*
 * RFC 7714 §8 receiver side, laid out as for gcm_seal with the received tag at pkt[length..]:
 * returns 1 and decrypts in place when the tag verifies (constant-time compare), else 0 and
 * leaves the packet as it was.
 */
EXPORT(gcm_open)
int gcm_open(const v128_t *table, uint8_t *pkt, uint32_t aad_length, uint32_t length,
             const uint8_t *ks) {
  uint8_t expected[16];
  gcm_tag(table, pkt, aad_length, pkt + aad_length, length - aad_length, ks, expected);
  v128_t diff = wasm_v128_xor(wasm_v128_load(expected), wasm_v128_load(pkt + length));
  if (wasm_v128_any_true(diff)) return 0;
  xor_keystream(pkt + aad_length, ks + 16, length - aad_length);
  return 1;
}
