/*
 * SIP header-section scanner for @callbridge/sip (our own code; no libc).
 *
 * Finds the header lines of one message 16 bytes at a time (WebAssembly SIMD128) and writes the
 * same offset table as the TypeScript loop in packages/sip/src/parser.ts (`RawHeaders` in
 * message.ts): the index of the first line's row, the first line's start (offsets are from the
 * start line), the hot-header records below, then per line the header id, value start, value
 * end and `lineEnd * 2 + folded` (a line starts where the previous one ended). It only accepts: anything unusual (a bad name, a missing colon, an
 * unterminated section, a bad or conflicting Content-Length, a line over the limit, more lines
 * than the table holds) returns -1, and the TypeScript loop parses the message and reports the
 * error. So this is a faster path for well-formed messages, never a second grammar.
 *
 * RFC 3261 §7.3.1: field-name = token, then optional SP/HTAB, ":"; a line starting with SP/HTAB
 * continues the previous one (folding); the header section ends with an empty line.
 */
#include <stdint.h>
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(name)))

#define CAPACITY 65536 /* largest message scanned here; larger ones take the TypeScript path */
#define PADDING 32     /* zero bytes after the message: vector loads never see stale bytes */
#define MAX_LINES 256
#define STRIDE 4
#define SLOTS 256 /* known-name hash table (open addressing) */
#define NAME_ROOM 32

static uint8_t input[CAPACITY + PADDING] __attribute__((aligned(16)));
/* Known names, lower case, zero padded; slot_length 0 marks an empty slot. */
static uint8_t slot_name[SLOTS][NAME_ROOM] __attribute__((aligned(16)));
static uint8_t slot_length[SLOTS];
static uint8_t slot_id[SLOTS];
/* What a scan found besides the table, read by JavaScript as an array (cheaper than calls). */
enum { BODY_START, CONTENT_LENGTH, START_LINE_END, ASCII, METHOD_WORD, RESULTS };
static int32_t results[RESULTS];

/*
 * Hot headers: Via (top line), From, To, Call-ID and CSeq, which every transaction and dialog
 * reads on every message. For the first line of each, when it is not folded and has the usual
 * shape that the TypeScript fast paths in packages/sip/src/header-scan.ts accept (the same
 * checks, byte for byte), the scanner records where its parts are, so those fast paths take
 * the offsets instead of walking the bytes again. A value of another shape gets no record (-1)
 * and is read as before. Offsets are relative to `base`, like the line table.
 */
enum {
  HOT_VIA = 0,       /* value start, transport end, host end, port or -1, params start,
                        branch value start or -1, branch value end, value end */
  HOT_FROM = 8,      /* value start, display name start or -1, its end, URI start, URI end,
                        tag value start (-1 absent, -2 without value), tag value end, value end */
  HOT_TO = 16,       /* as HOT_FROM */
  HOT_CSEQ = 24,     /* value start, number (unsigned 32-bit), method start, value end, method
                        as a common word (see add_word) or -1 */
  HOT_CALL_ID = 29,  /* value start, value end */
  HOT_URI = 31,      /* Request-URI start, end, 1 for sips (else sip), user start or -1 (the user
                        ends before the "@" before the host), host start, host end, 1 for an
                        IPv4 host (else a name), port or -1, params start */
  HOT_LENGTH = 40
};
/* The table: first row index, first line start, hot records, rows. */
enum { HEAD = 2 + HOT_LENGTH };
static int32_t table[HEAD + MAX_LINES * STRIDE];
static int32_t *const hot = table + 2;
/* The bit of each hot header (1 Via, 2 From, 4 To, 8 Call-ID, 16 CSeq) by header id, else 0. */
static uint8_t hot_bit[256];

static void init_uri_classes(void);

/* The header ids (as given to add_name) of the hot headers; also fills the tables. */
EXPORT("set_hot_ids")
void set_hot_ids(uint32_t via, uint32_t from, uint32_t to, uint32_t call_id, uint32_t cseq) {
  init_uri_classes();
  hot_bit[via & 255] = 1;
  hot_bit[from & 255] = 2;
  hot_bit[to & 255] = 4;
  hot_bit[call_id & 255] = 8;
  hot_bit[cseq & 255] = 16;
}

EXPORT("input") uint8_t *input_address(void) { return input; }
EXPORT("table") int32_t *table_address(void) { return table; }
EXPORT("capacity") int32_t capacity(void) { return CAPACITY; }
EXPORT("table_length") int32_t table_length(void) { return HEAD + MAX_LINES * STRIDE; }
EXPORT("results") int32_t *results_address(void) { return results; }

static inline uint32_t name_hash(const uint8_t *name, uint32_t length) {
  return ((name[0] | 0x20) * 33u + (name[length - 1] | 0x20) + length * 7u) & (SLOTS - 1);
}

/* Adds the known name in input[0, length) (lower case, token chars) with header id `id`. */
EXPORT("add_name") int32_t add_name(uint32_t length, uint32_t id) {
  if (length == 0 || length > NAME_ROOM || id == 0 || id > 255) return 0;
  uint32_t slot = name_hash(input, length);
  while (slot_length[slot] != 0) slot = (slot + 1) & (SLOTS - 1);
  for (uint32_t k = 0; k < NAME_ROOM; k++) slot_name[slot][k] = k < length ? input[k] : 0;
  slot_length[slot] = (uint8_t)length;
  slot_id[slot] = (uint8_t)id;
  return 1;
}

/*
 * Common words (methods, transports) the JavaScript side keeps shared strings for: a method
 * found here is reported by its index instead of being compared there. Up to 16 bytes, zero
 * padded, compared as two 8-byte numbers.
 */
#define WORDS 32
#define WORD_SLOTS 64 /* open addressing by word_slot_of; word index + 1, 0 for an empty slot */
static uint64_t word_low[WORDS], word_high[WORDS];
static uint32_t word_length[WORDS], words;
static uint8_t word_slot[WORD_SLOTS];

static inline uint32_t word_slot_of(uint64_t low, uint32_t length) {
  return ((uint32_t)((low * 0x9e3779b97f4a7c15ull) >> 58) ^ length) & (WORD_SLOTS - 1);
}

/* Adds the word in input[0, length) as word number `words` (its index on the JavaScript side). */
EXPORT("add_word") int32_t add_word(uint32_t length) {
  if (length == 0 || length > 16 || words == WORDS) return 0;
  uint64_t low = 0, high = 0;
  for (uint32_t k = 0; k < length; k++) {
    if (k < 8) low |= (uint64_t)input[k] << (8 * k);
    else high |= (uint64_t)input[k] << (8 * (k - 8));
  }
  uint32_t slot = word_slot_of(low, length);
  while (word_slot[slot] != 0) slot = (slot + 1) & (WORD_SLOTS - 1);
  word_slot[slot] = (uint8_t)(words + 1);
  word_low[words] = low;
  word_high[words] = high;
  word_length[words++] = length;
  return 1;
}

/* Bits set in `mask` for the first `length` lanes (length ≤ 16). */
static inline uint32_t low_lanes(uint32_t length) { return length >= 16 ? 0xffff : (1u << length) - 1; }

/*
 * Id of the token name at `name` (0 when unknown). Letters compare case-insensitively by OR-ing
 * 0x20; for token bytes against known names (letters and "-") that matches exactly the letter
 * in either case and "-" itself.
 */
static inline uint32_t lookup(const uint8_t *name, uint32_t length) {
  if (length > NAME_ROOM) return 0;
  const v128_t fold = wasm_i8x16_splat(0x20);
  v128_t lo = wasm_v128_or(wasm_v128_load(name), fold);
  v128_t hi = wasm_v128_or(wasm_v128_load(name + 16), fold);
  for (uint32_t slot = name_hash(name, length);; slot = (slot + 1) & (SLOTS - 1)) {
    uint32_t known = slot_length[slot];
    if (known == 0) return 0;
    if (known != length) continue;
    uint32_t eq = wasm_i8x16_bitmask(wasm_i8x16_eq(lo, wasm_v128_load(slot_name[slot])));
    uint32_t want = low_lanes(length);
    if ((eq & want) != want) continue;
    if (length > 16) {
      eq = wasm_i8x16_bitmask(wasm_i8x16_eq(hi, wasm_v128_load(slot_name[slot] + 16)));
      want = low_lanes(length - 16);
      if ((eq & want) != want) continue;
    }
    return slot_id[slot];
  }
}

/*
 * Lanes that are token chars (RFC 3261 §25.1 token = alphanum / "-.!%*_+`'~"): each byte's high
 * nibble selects a bit (0x2_ → 1, 0x3_ → 2, ... 0x7_ → 32, others 0), its low nibble the set of
 * high nibbles that form a token char with it; a token char has the bit in both.
 */
static inline uint32_t token_lanes(v128_t v) {
  const v128_t by_high = wasm_i8x16_const(0, 0, 1, 2, 4, 8, 16, 32, 0, 0, 0, 0, 0, 0, 0, 0);
  const v128_t by_low =
      wasm_i8x16_const(58, 63, 62, 62, 62, 63, 62, 63, 62, 62, 61, 21, 20, 21, 53, 28);
  v128_t high = wasm_i8x16_swizzle(by_high, wasm_u8x16_shr(v, 4));
  v128_t low = wasm_i8x16_swizzle(by_low, wasm_v128_and(v, wasm_i8x16_splat(0x0f)));
  v128_t both = wasm_v128_and(high, low);
  return wasm_i8x16_bitmask(wasm_i8x16_ne(both, wasm_i8x16_splat(0)));
}

/* End of the token run starting at `p` (stops at the zero padding at the latest). */
static inline uint32_t token_end(uint32_t p) {
  for (;;) {
    uint32_t stop = ~token_lanes(wasm_v128_load(input + p)) & 0xffff;
    if (stop != 0) return p + __builtin_ctz(stop);
    p += 16;
  }
}

/* First LF at or after `p` and before `length`, or -1. */
static inline int32_t find_lf(uint32_t p, uint32_t length) {
  const v128_t lf = wasm_i8x16_splat('\n');
  for (; p < length; p += 16) {
    uint32_t hit = wasm_i8x16_bitmask(wasm_i8x16_eq(wasm_v128_load(input + p), lf));
    if (hit != 0) {
      uint32_t at = p + __builtin_ctz(hit);
      return at < length ? (int32_t)at : -1;
    }
  }
  return -1;
}

/* End of the run of bytes in (0x20, 0x7f) other than ">" starting at `p`: a URI inside "<>". */
static uint32_t uri_end(uint32_t p) {
  for (;;) {
    v128_t v = wasm_v128_load(input + p);
    v128_t ok = wasm_v128_and(wasm_u8x16_gt(v, wasm_i8x16_splat(32)),
                              wasm_u8x16_lt(v, wasm_i8x16_splat(127)));
    ok = wasm_v128_andnot(ok, wasm_i8x16_eq(v, wasm_i8x16_splat('>')));
    uint32_t stop = ~wasm_i8x16_bitmask(ok) & 0xffff;
    if (stop != 0) return p + __builtin_ctz(stop);
    p += 16;
  }
}

/* End of the run of gen-value bytes without quotes (token, ":", "[", "]") starting at `p`. */
static uint32_t gen_value_end(uint32_t p) {
  for (;;) {
    v128_t v = wasm_v128_load(input + p);
    uint32_t ok = token_lanes(v) |
                  wasm_i8x16_bitmask(wasm_v128_or(
                      wasm_i8x16_eq(v, wasm_i8x16_splat(':')),
                      wasm_v128_or(wasm_i8x16_eq(v, wasm_i8x16_splat('[')),
                                   wasm_i8x16_eq(v, wasm_i8x16_splat(']')))));
    uint32_t stop = ~ok & 0xffff;
    if (stop != 0) return p + __builtin_ctz(stop);
    p += 16;
  }
}

/* Runs stop at the value's end at the latest (it is followed by SP, HTAB, CR or LF); clamp anyway. */
static inline uint32_t min_u32(uint32_t a, uint32_t b) { return a < b ? a : b; }

/* The 8 bytes at `p` as one number (little-endian), for comparing a fixed prefix at once. */
static inline uint64_t load8(uint32_t p) {
  uint64_t v;
  __builtin_memcpy(&v, input + p, 8);
  return v;
}

/* "SIP/2.0/" and " SIP/2.0" as load8 reads them. */
#define SIP_2_0_SLASH 0x2f302e322f504953ull
#define SP_SIP_2_0 0x302e322f50495320ull

/* The low `length` bytes (≤ 8) of `v`. */
static inline uint64_t low_bytes(uint64_t v, uint32_t length) {
  return length >= 8 ? v : v & ((1ull << (length * 8)) - 1);
}

/* Index of the common word input[p, p + length) (exact bytes), or -1. */
static int32_t common_word(uint32_t p, uint32_t length) {
  if (length == 0 || length > 16) return -1;
  uint64_t low = low_bytes(load8(p), length);
  uint64_t high = length > 8 ? low_bytes(load8(p + 8), length - 8) : 0;
  for (uint32_t slot = word_slot_of(low, length);; slot = (slot + 1) & (WORD_SLOTS - 1)) {
    uint32_t w = word_slot[slot];
    if (w-- == 0) return -1;
    if (word_length[w] == length && word_low[w] == low && word_high[w] == high) return (int32_t)w;
  }
}

/*
 * input[p, p + length) is `word` (lower case letters, at most 8, as load8 reads them), letters
 * compared case-insensitively.
 */
static inline int same_word(uint32_t p, uint32_t length, uint64_t word, uint32_t word_length) {
  return length == word_length &&
         (low_bytes(load8(p), length) | low_bytes(0x2020202020202020ull, length)) == word;
}

/* "branch" and "tag" as load8 reads them. */
#define BRANCH 0x68636e617262ull
#define TAG 0x676174ull

/*
 * `*( ";" token [ "=" gen-value ] )` over [p, end), no whitespace or quotes (scanParams in
 * header-scan.ts). Records the value of the first parameter called `name` in out[0], out[1]
 * (start -1 when absent, -2 when it has no value). Returns 0 for any other shape, and when
 * `name_needs_value` and that parameter has no value.
 */
static int scan_params(uint32_t p, uint32_t end, uint32_t base, uint64_t name,
                       uint32_t name_length, int name_needs_value, int32_t *out) {
  out[0] = -1;
  out[1] = -1;
  while (p < end) {
    if (input[p] != ';') return 0;
    uint32_t name_start = p + 1;
    uint32_t name_end = min_u32(token_end(name_start), end);
    if (name_end == name_start) return 0;
    int wanted = out[0] == -1 && same_word(name_start, name_end - name_start, name, name_length);
    if (name_end < end && input[name_end] == '=') {
      uint32_t value_start = name_end + 1;
      uint32_t value_end = min_u32(gen_value_end(value_start), end);
      if (value_end == value_start) return 0;
      if (wanted) {
        out[0] = (int32_t)(value_start - base);
        out[1] = (int32_t)(value_end - base);
      }
      p = value_end;
    } else {
      if (wanted) {
        if (name_needs_value) return 0;
        out[0] = -2;
      }
      p = name_end;
    }
  }
  return 1;
}

/* Via of the usual shape `SIP/2.0/TRANSPORT host[:port];params` (scanVia). */
static void hot_via(uint32_t p, uint32_t end, uint32_t base) {
  int32_t *out = hot + HOT_VIA;
  if (end - p < 10 || load8(p) != SIP_2_0_SLASH) return;
  uint32_t transport_end = min_u32(token_end(p + 8), end);
  if (transport_end == p + 8 || transport_end == end || input[transport_end] != ' ') return;
  uint32_t host_end = min_u32(token_end(transport_end + 1), end);
  if (host_end == transport_end + 1) return;
  uint32_t i = host_end;
  int32_t port = -1;
  if (i < end && input[i] == ':') {
    uint32_t b = i + 1, stop = min_u32(end, i + 6), value = 0;
    while (b < stop && input[b] - (uint32_t)'0' <= 9) value = value * 10 + (input[b++] - '0');
    if (b == i + 1 || value > 65535) return;
    port = (int32_t)value;
    i = b;
  }
  if (!scan_params(i, end, base, BRANCH, 6, 1, out + 5)) return;
  out[0] = (int32_t)(p - base);
  out[1] = (int32_t)(transport_end - base);
  out[2] = (int32_t)(host_end - base);
  out[3] = port;
  out[4] = (int32_t)(i - base);
  out[7] = (int32_t)(end - base);
}

/* From/To of the usual shapes `<uri>;params`, `Name Words <uri>;params`, `"Name" <uri>;params`. */
static void hot_name_addr(uint32_t p, uint32_t end, uint32_t base, int32_t *out) {
  uint32_t i = p;
  int32_t name_start = -1, name_end = -1;
  if (input[i] == '"') {
    uint32_t b = i + 1;
    while (b < end && input[b] != '"' && input[b] != '\\' && input[b] < 128) b++;
    if (b == end || input[b] != '"') return;
    name_start = (int32_t)(i + 1 - base);
    name_end = (int32_t)(b - base);
    i = b + 1;
    if (i < end && input[i] == ' ') i++;
  } else if (input[i] != '<') {
    uint32_t start = i;
    for (;;) {
      uint32_t token_stop = min_u32(token_end(i), end);
      if (token_stop == i || token_stop == end || input[token_stop] != ' ') return;
      i = token_stop + 1;
      if (i < end && input[i] == '<') {
        name_start = (int32_t)(start - base);
        name_end = (int32_t)(token_stop - base);
        break;
      }
    }
  }
  if (i >= end || input[i] != '<') return;
  uint32_t uri_start = i + 1;
  uint32_t b = min_u32(uri_end(uri_start), end);
  if (b == end || input[b] != '>' || b == uri_start) return;
  if (!scan_params(b + 1, end, base, TAG, 3, 0, out + 5)) return;
  out[0] = (int32_t)(p - base);
  out[1] = name_start;
  out[2] = name_end;
  out[3] = (int32_t)(uri_start - base);
  out[4] = (int32_t)(b - base);
  out[7] = (int32_t)(end - base);
}

/* CSeq `digits SP method` (scanCSeq): at most 10 digits, a number below 2^32, a token method. */
static void hot_cseq(uint32_t p, uint32_t end, uint32_t base) {
  uint32_t b = p, stop = min_u32(end, p + 10);
  uint64_t seq = 0;
  while (b < stop && input[b] - (uint32_t)'0' <= 9) seq = seq * 10 + (input[b++] - '0');
  if (b == p || seq > 0xffffffffu || b >= end || input[b] != ' ') return;
  uint32_t method_start = b + 1;
  if (method_start == end || min_u32(token_end(method_start), end) != end) return;
  hot[HOT_CSEQ] = (int32_t)(p - base);
  hot[HOT_CSEQ + 1] = (int32_t)(uint32_t)seq;
  hot[HOT_CSEQ + 2] = (int32_t)(method_start - base);
  hot[HOT_CSEQ + 3] = (int32_t)(end - base);
  hot[HOT_CSEQ + 4] = common_word(method_start, end - method_start);
}

/* Call-ID (scanCallId): visible ASCII only, not empty; 16 bytes at a time. */
static void hot_call_id(uint32_t p, uint32_t end, uint32_t base) {
  if (p == end) return;
  for (uint32_t b = p; b < end; b += 16) {
    v128_t v = wasm_v128_load(input + b);
    v128_t visible = wasm_v128_and(wasm_u8x16_gt(v, wasm_i8x16_splat(0x20)),
                                   wasm_u8x16_lt(v, wasm_i8x16_splat(0x7f)));
    if ((~wasm_i8x16_bitmask(visible) & low_lanes(end - b)) != 0) return;
  }
  hot[HOT_CALL_ID] = (int32_t)(p - base);
  hot[HOT_CALL_ID + 1] = (int32_t)(end - base);
}

/* URI character classes (RFC 3261 §25.1): unreserved, and what user / uri-parameter add to it. */
enum { UNRESERVED = 1, USER_EXTRA = 2, PARAM_EXTRA = 4 };
static inline uint32_t uri_class(uint32_t c) {
  if ((c | 0x20) - 'a' < 26 || c - '0' < 10) return UNRESERVED;
  switch (c) {
    case '-': case '_': case '.': case '!': case '~': case '*': case '\'': case '(': case ')':
      return UNRESERVED;
    case '&': case '+': case '$': return USER_EXTRA | PARAM_EXTRA;
    case '=': case ',': case ';': case '?': return USER_EXTRA;
    case '/': return USER_EXTRA | PARAM_EXTRA;
    case '[': case ']': case ':': return PARAM_EXTRA;
    default: return 0;
  }
}

/* uri_class by byte, filled once (a load per byte instead of the comparisons). */
static uint8_t uri_classes[256];

static void init_uri_classes(void) {
  for (uint32_t c = 0; c < 256; c++) uri_classes[c] = (uint8_t)uri_class(c);
}

/* End of the run of bytes of class UNRESERVED or `extra` from `p` (stops at `end`). */
static inline uint32_t uri_run(uint32_t p, uint32_t end, uint32_t extra) {
  const uint32_t accept = UNRESERVED | extra;
  while (p < end && (uri_classes[input[p]] & accept) != 0) p++;
  return p;
}

/* First `c` in [p, end), or `end` (16 bytes at a time; the padding keeps loads in the buffer). */
static inline uint32_t find_byte(uint32_t p, uint32_t end, uint8_t c) {
  const v128_t wanted = wasm_i8x16_splat((int8_t)c);
  for (; p < end; p += 16) {
    uint32_t hit = wasm_i8x16_bitmask(wasm_i8x16_eq(wasm_v128_load(input + p), wanted));
    if (hit != 0) return min_u32(p + __builtin_ctz(hit), end);
  }
  return end;
}

/* input[p, end) is an IPv4 address: four decimal parts of 1-3 digits up to 255 (isIPv4). */
static int is_ipv4(uint32_t p, uint32_t end) {
  for (uint32_t parts = 0; parts < 4; parts++) {
    uint32_t start = p, value = 0;
    while (p < end && input[p] - (uint32_t)'0' <= 9) value = value * 10 + (input[p++] - '0');
    if (p == start || p - start > 3 || value > 255) return 0;
    if (parts < 3) {
      if (p >= end || input[p] != '.') return 0;
      p++;
    }
  }
  return p == end;
}

/*
 * The host name at `p` the byte by byte way (hosts longer than uri_host looks at): see uri_host.
 */
static uint32_t uri_host_bytes(uint32_t p, uint32_t end, int *numeric) {
  uint32_t i = p, label_start = p;
  int32_t label_first = -1, prev_label_first = -1;
  int digits_only = 1;
  for (; i < end; i++) {
    uint32_t c = input[i];
    if (c == ':' || c == ';') break;
    if (c == '.') {
      if (i == label_start) return 0;
      prev_label_first = label_first;
      label_start = i + 1;
      continue;
    }
    if ((c | 0x20) - 'a' < 26 || c == '-' || c == '_') digits_only = 0;
    else if (c - '0' >= 10) return 0;
    if (i == label_start) label_first = (int32_t)c;
  }
  if (i == p || (label_start == i && label_start - 1 == p)) return 0;
  *numeric = digits_only;
  if (digits_only) return is_ipv4(p, i) ? i : 0;
  int32_t top_first = label_start == i ? prev_label_first : label_first;
  if (top_first == -1 || ((uint32_t)top_first | 0x20) - 'a' >= 26) return 0;
  return i;
}

/* Lanes of `v` that are letters, "-" or "_"; digits and dots go to *digits and *dots. */
static inline uint32_t host_lanes(v128_t v, uint32_t *digits, uint32_t *dots) {
  v128_t letter = wasm_u8x16_lt(
      wasm_i8x16_sub(wasm_v128_or(v, wasm_i8x16_splat(0x20)), wasm_i8x16_splat('a')),
      wasm_i8x16_splat(26));
  v128_t name = wasm_v128_or(letter, wasm_v128_or(wasm_i8x16_eq(v, wasm_i8x16_splat('-')),
                                                  wasm_i8x16_eq(v, wasm_i8x16_splat('_'))));
  *digits = wasm_i8x16_bitmask(
      wasm_u8x16_lt(wasm_i8x16_sub(v, wasm_i8x16_splat('0')), wasm_i8x16_splat(10)));
  *dots = wasm_i8x16_bitmask(wasm_i8x16_eq(v, wasm_i8x16_splat('.')));
  return wasm_i8x16_bitmask(name);
}

/*
 * The host of a Request-URI at `p`, ending at ":", ";" or `end` (parseUri's checks): a host name,
 * *( domainlabel "." ) toplabel [ "." ] whose top label starts with a letter ("_" allowed as
 * parseUri allows it), or an IPv4 address (*numeric set). Returns its end, or 0 when it is
 * neither (a host never starts at 0: the scheme comes first). Up to 32 bytes are classified 16
 * at a time; a longer host goes byte by byte.
 */
static uint32_t uri_host(uint32_t p, uint32_t end, int *numeric) {
  uint32_t length = end - p;
  uint32_t digits_low, digits_high, dots_low, dots_high;
  uint32_t name = host_lanes(wasm_v128_load(input + p), &digits_low, &dots_low) |
                  host_lanes(wasm_v128_load(input + p + 16), &digits_high, &dots_high) << 16;
  uint32_t dots = dots_low | dots_high << 16;
  uint32_t window = length < 32 ? (1u << length) - 1 : 0xffffffffu;
  uint32_t other = ~(name | digits_low | digits_high << 16 | dots) & window;
  uint32_t n;
  if (other != 0) {
    n = (uint32_t)__builtin_ctz(other);
    uint32_t c = input[p + n];
    if (c != ':' && c != ';') return 0;
  } else if (length <= 32) {
    n = length;
  } else {
    return uri_host_bytes(p, end, numeric);
  }
  if (n == 0) return 0;
  uint32_t in_host = n == 32 ? 0xffffffffu : (1u << n) - 1;
  name &= in_host;
  dots &= in_host;
  /* An empty label: a dot first or two in a row ("." alone included). */
  if ((dots & 1) != 0 || (dots & (dots >> 1)) != 0) return 0;
  *numeric = name == 0;
  if (name == 0) return is_ipv4(p, p + n) ? p + n : 0;
  /* The top label: after the last dot, or before a final one. */
  uint32_t last = 1u << (n - 1);
  uint32_t before_top = (dots & last) != 0 ? dots & ~last : dots;
  uint32_t top = before_top == 0 ? 0 : 32 - (uint32_t)__builtin_clz(before_top);
  return ((uint32_t)input[p + top] | 0x20) - 'a' < 26 ? p + n : 0;
}

/*
 * A `sip:`/`sips:` Request-URI without escapes, password, IPv6 host or headers (scanSipUri in
 * header-scan.ts, the same checks): user, a host name or IPv4 address, port, uri-parameters.
 */
static void hot_request_uri(uint32_t p, uint32_t end, uint32_t base) {
  int32_t *out = hot + HOT_URI;
  uint32_t i = p;
  if (input[i] != 's' || input[i + 1] != 'i' || input[i + 2] != 'p') return;
  i += 3;
  int32_t sips = input[i] == 's';
  i += (uint32_t)sips;
  if (input[i] != ':') return;
  i++;
  int32_t user_start = -1;
  uint32_t at = find_byte(i, end, '@');
  if (at < end) {
    uint32_t user_end = uri_run(i, end, USER_EXTRA);
    if (user_end != at || user_end == i) return;
    user_start = (int32_t)(i - base);
    i = at + 1;
  }
  uint32_t host_start = i;
  int numeric = 0;
  i = uri_host(host_start, end, &numeric);
  if (i == 0) return;
  uint32_t host_end = i;
  int32_t port = -1;
  if (i < end && input[i] == ':') {
    uint32_t port_start = ++i;
    uint64_t value = 0;
    while (i < end && input[i] - (uint32_t)'0' <= 9) value = value * 10 + (input[i++] - '0');
    if (i == port_start || i - port_start > 5 || value > 65535) return;
    port = (int32_t)value;
  }
  uint32_t params_start = i;
  while (i < end) {
    if (input[i] != ';') return;
    uint32_t name_start = ++i;
    i = uri_run(i, end, PARAM_EXTRA);
    if (i == name_start) return;
    if (i < end && input[i] == '=') {
      uint32_t value_start = ++i;
      i = uri_run(i, end, PARAM_EXTRA);
      if (i == value_start) return;
    }
  }
  out[0] = (int32_t)(p - base);
  out[1] = (int32_t)(end - base);
  out[2] = sips;
  out[3] = user_start;
  out[4] = (int32_t)(host_start - base);
  out[5] = (int32_t)(host_end - base);
  out[6] = numeric;
  out[7] = port;
  out[8] = (int32_t)(params_start - base);
}

/*
 * The Request-URI of the usual request line `Method SP Request-URI SP SIP/2.0` ending at `end`
 * (before its CR or LF), as the parser finds it: after the method token and its SP, up to the SP
 * before the version.
 */
static void hot_request_line(uint32_t base, uint32_t end) {
  uint32_t method_end = token_end(base);
  if (method_end == base || input[method_end] != ' ') return;
  results[METHOD_WORD] = common_word(base, method_end - base);
  if (end < 8) return;
  uint32_t sp = end - 8;
  if (sp <= method_end + 1 || load8(sp) != SP_SIP_2_0) return;
  hot_request_uri(method_end + 1, sp, base);
}

/* Records the hot header on line (p, end) with header `id`, if its first line and usual. */
static inline void hot_line(uint32_t id, uint32_t p, uint32_t end, uint32_t base, uint32_t folded,
                            uint32_t *seen) {
  uint32_t bit = hot_bit[id];
  if ((bit & ~*seen) == 0) return;
  *seen |= bit;
  if (folded) return;
  if (bit == 1) hot_via(p, end, base);
  else if (bit == 2) hot_name_addr(p, end, base, hot + HOT_FROM);
  else if (bit == 4) hot_name_addr(p, end, base, hot + HOT_TO);
  else if (bit == 8) hot_call_id(p, end, base);
  else hot_cseq(p, end, base);
}

static inline int is_lws(uint32_t c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

/*
 * Scans the message in input[0, length) whose start line begins at `base`: finds the start
 * line's end and whether the message is ASCII, then scans the header lines after it; offsets
 * are written relative to `base`. Returns the number of lines (the table holds HEAD numbers,
 * then STRIDE per line; the results body start, Content-Length (or -1), start line end,
 * ASCII (1 when no byte has its high bit set) and the method as a common word (or -1) are
 * set), or -1 when the TypeScript loop must decide.
 */
EXPORT("scan")
int32_t scan(uint32_t length, uint32_t base, uint32_t max_line_length,
             uint32_t content_length_id) {
  if (length > CAPACITY) return -1;
  const v128_t zero = wasm_i8x16_splat(0);
  wasm_v128_store(input + length, zero);
  wasm_v128_store(input + length + 16, zero);
  /* The start line (the TypeScript side parses it) ends at the first LF. */
  int32_t first_lf = find_lf(base, length);
  if (first_lf < 0) return -1;
  results[START_LINE_END] = first_lf - (int32_t)base;
  /* ASCII: no byte has its high bit set (the zero padding does not count); 64 bytes a round. */
  v128_t any = zero;
  uint32_t p = base;
  for (; p + 64 <= length; p += 64)
    any = wasm_v128_or(
        any, wasm_v128_or(wasm_v128_or(wasm_v128_load(input + p), wasm_v128_load(input + p + 16)),
                          wasm_v128_or(wasm_v128_load(input + p + 32),
                                       wasm_v128_load(input + p + 48))));
  for (; p < length; p += 16) any = wasm_v128_or(any, wasm_v128_load(input + p));
  results[ASCII] = wasm_i8x16_bitmask(any) == 0;
  results[METHOD_WORD] = -1;
  uint32_t pos = (uint32_t)first_lf + 1;
  table[0] = HEAD;
  table[1] = (int32_t)(pos - base);
  int32_t declared = -1;
  uint32_t n = 0;
  uint32_t seen = 0;
  hot[HOT_VIA] = hot[HOT_FROM] = hot[HOT_TO] = hot[HOT_CSEQ] = hot[HOT_CALL_ID] = -1;
  hot[HOT_URI] = -1;
  hot_request_line(base, first_lf > (int32_t)base && input[first_lf - 1] == '\r'
                             ? (uint32_t)first_lf - 1 : (uint32_t)first_lf);
  while (pos < length) {
    uint32_t first = input[pos];
    if (first == '\n' || (first == '\r' && input[pos + 1] == '\n')) {
      results[BODY_START] = (int32_t)(pos + (first == '\n' ? 1 : 2));
      results[CONTENT_LENGTH] = declared;
      return (int32_t)n;
    }
    uint32_t name_end = token_end(pos);
    uint32_t colon = name_end;
    while (input[colon] == ' ' || input[colon] == '\t') colon++;
    if (name_end == pos || input[colon] != ':' || n == MAX_LINES) return -1;
    int32_t nl = find_lf(colon + 1, length);
    if (nl < 0) return -1;
    uint32_t line_end = (uint32_t)nl;
    uint32_t folded = 0;
    while (input[line_end + 1] == ' ' || input[line_end + 1] == '\t') {
      folded = 1;
      nl = find_lf(line_end + 1, length);
      if (nl < 0) return -1;
      line_end = (uint32_t)nl;
    }
    uint32_t value_end = input[line_end - 1] == '\r' ? line_end - 1 : line_end;
    if (value_end - pos > max_line_length) return -1;
    uint32_t value_start = colon + 1;
    while (value_start < value_end && is_lws(input[value_start])) value_start++;
    while (value_end > value_start && is_lws(input[value_end - 1])) value_end--;
    uint32_t id = lookup(input + pos, name_end - pos);
    hot_line(id, value_start, value_end, base, folded, &seen);
    if (id == content_length_id) {
      /* §20.14: 1*DIGIT; at most 10 digits, as the TypeScript loop accepts. */
      uint32_t digits = value_end - value_start;
      if (digits == 0 || digits > 10) return -1;
      int64_t value = 0;
      for (uint32_t k = value_start; k < value_end; k++) {
        uint32_t d = input[k] - '0';
        if (d > 9) return -1;
        value = value * 10 + d;
      }
      if (value > 0x7fffffff || (declared != -1 && value != declared)) return -1;
      declared = (int32_t)value;
    }
    int32_t *row = table + HEAD + n * STRIDE;
    row[0] = (int32_t)id;
    row[1] = (int32_t)(value_start - base);
    row[2] = (int32_t)(value_end - base);
    row[3] = (int32_t)((line_end + 1 - base) * 2 + folded);
    n++;
    pos = line_end + 1;
  }
  return -1; /* no empty line: unterminated */
}
