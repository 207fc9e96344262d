/*
 * Native baseline for `npm run bench -- codecs`: the same codec libraries as the WebAssembly
 * modules, as Debian ships them (libopus 1.3.1, libspeex 1.2.1, libspeexdsp 1.2.1, libbcg729
 * 1.1.1), spandsp's G.722 when libspandsp2 is installed (-DWITH_SPANDSP), and table-driven
 * G.711 in C. Built by bench/codecs.mjs with the machine's `cc`.
 *
 *   codecs SPEECH48.raw SPEECH8.raw SPEECH16.raw REPEATS
 *
 * Inputs are int16 little-endian mono speech at 48, 8 and 16 kHz. Prints one JSON object:
 * CPU microseconds per 20 ms frame (median of REPEATS timed passes after one warm-up pass).
 */
#include <bcg729/decoder.h>
#include <bcg729/encoder.h>
#include <opus.h>
#include <speex/speex.h>
#include <speex/speex_resampler.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef WITH_SPANDSP
/* spandsp 0.0.6 G.722 (libspandsp2; declared here because libspandsp-dev is not needed). */
typedef struct g722_state g722_state_t;
g722_state_t *g722_encode_init(g722_state_t *s, int rate, int options);
int g722_encode(g722_state_t *s, uint8_t g722_data[], const int16_t amp[], int len);
g722_state_t *g722_decode_init(g722_state_t *s, int rate, int options);
int g722_decode(g722_state_t *s, int16_t amp[], const uint8_t g722_data[], int len);
#endif

typedef struct {
  int16_t *samples;
  int count;
} Pcm;

static Pcm read_pcm(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) { perror(path); exit(2); }
  fseek(f, 0, SEEK_END);
  long bytes = ftell(f);
  fseek(f, 0, SEEK_SET);
  Pcm pcm = {malloc((size_t)bytes), (int)(bytes / 2)};
  if (fread(pcm.samples, 1, (size_t)bytes, f) != (size_t)bytes) exit(2);
  fclose(f);
  return pcm;
}

static double now_us(void) {
  struct timespec ts;
  /* CPU time, not wall time: the bench machine is shared, and descheduled time is not cost. */
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int repeats = 5;
/* Results the compiler must not discard. */
static volatile int sink;

static int compare(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* Runs pass() once to warm up, then `repeats` times; returns the median µs per frame. */
#define MEASURE(result, frames, ...)                                       \
  do {                                                                     \
    double times[64];                                                      \
    for (int rep = -1; rep < repeats; rep++) {                             \
      double start = now_us();                                             \
      __VA_ARGS__;                                                         \
      if (rep >= 0) times[rep] = (now_us() - start) / (frames);            \
    }                                                                      \
    qsort(times, (size_t)repeats, sizeof(double), compare);                \
    result = times[repeats / 2];                                           \
  } while (0)

static int first = 1;
static void emit(const char *name, double value) {
  printf("%s\"%s\":%.3f", first ? "{" : ",", name, value);
  first = 0;
}

/* G.711 µ-law, G.191 algorithm, table-driven like the TypeScript one. */
static uint8_t ulaw_table[16384];
static int16_t ulaw_decode_table[256];
static void g711_init(void) {
  for (int q = -8192; q < 8192; q++) {
    int magnitude = (q < 0 ? -q - 1 : q) + 33;
    if (magnitude > 0x1fff) magnitude = 0x1fff;
    int segment = 1;
    for (int i = magnitude >> 6; i; i >>= 1) segment++;
    int code = ((8 - segment) << 4) | (15 - ((magnitude >> segment) & 15));
    if (q >= 0) code |= 0x80;
    ulaw_table[q & 0x3fff] = (uint8_t)code;
  }
  for (int code = 0; code < 256; code++) {
    int inverted = ~code & 0xff, exponent = (inverted >> 4) & 7, mantissa = inverted & 15;
    int step = 4 << (exponent + 1);
    int magnitude = (0x80 << exponent) + step * mantissa + step / 2 - 4 * 33;
    ulaw_decode_table[code] = (int16_t)(code < 0x80 ? -magnitude : magnitude);
  }
}
static void ulaw_encode(const int16_t *pcm, uint8_t *out, int n) {
  for (int i = 0; i < n; i++) out[i] = ulaw_table[(pcm[i] >> 2) & 0x3fff];
}
static void ulaw_decode(const uint8_t *in, int16_t *pcm, int n) {
  for (int i = 0; i < n; i++) pcm[i] = ulaw_decode_table[in[i]];
}

static void opus_bench(const char *name, Pcm *pcm, int rate, int complexity, int emit_decode) {
  int frame = rate / 50, frames = pcm->count / frame, error = 0;
  OpusEncoder *enc = opus_encoder_create(rate, 1, OPUS_APPLICATION_VOIP, &error);
  OpusDecoder *dec = opus_decoder_create(rate, 1, &error);
  opus_encoder_ctl(enc, OPUS_SET_BITRATE(32000));
  opus_encoder_ctl(enc, OPUS_SET_COMPLEXITY(complexity));
  uint8_t (*packets)[1500] = malloc((size_t)frames * 1500);
  int *lengths = malloc(sizeof(int) * (size_t)frames);
  int16_t out[5760];
  double encode_us, decode_us;
  MEASURE(encode_us, frames, {
    opus_encoder_ctl(enc, OPUS_RESET_STATE);
    for (int f = 0; f < frames; f++) lengths[f] = opus_encode(enc, pcm->samples + f * frame, frame, packets[f], 1500);
  });
  MEASURE(decode_us, frames, {
    for (int f = 0; f < frames; f++) sink = opus_decode(dec, packets[f], lengths[f], out, frame, 0);
  });
  char key[64];
  snprintf(key, sizeof key, "%s encode", name);
  emit(key, encode_us);
  if (emit_decode) {
    snprintf(key, sizeof key, "%s decode", name);
    emit(key, decode_us);
  }
  opus_encoder_destroy(enc);
  opus_decoder_destroy(dec);
  free(packets);
  free(lengths);
}

int main(int argc, char **argv) {
  if (argc < 5) { fprintf(stderr, "usage: codecs SPEECH48 SPEECH8 SPEECH16 REPEATS\n"); return 1; }
  Pcm s48 = read_pcm(argv[1]), s8 = read_pcm(argv[2]), s16 = read_pcm(argv[3]);
  repeats = atoi(argv[4]);
  if (repeats < 1 || repeats > 64) repeats = 5;
  g711_init();
  int frames8 = s8.count / 160, frames48 = s48.count / 960;
  int frames = frames8 < frames48 ? frames8 : frames48;
  double us;

  /* G.711 µ-law */
  uint8_t *ulaw = malloc((size_t)s8.count);
  int16_t out[5760];
  MEASURE(us, frames8, for (int f = 0; f < frames8; f++) ulaw_encode(s8.samples + f * 160, ulaw + f * 160, 160));
  emit("PCMU encode", us);
  MEASURE(us, frames8, for (int f = 0; f < frames8; f++) ulaw_decode(ulaw + f * 160, out, 160));
  emit("PCMU decode", us);

#ifdef WITH_SPANDSP
  {
    int n = s16.count / 320;
    uint8_t *codes = malloc((size_t)n * 160);
    g722_state_t *enc = g722_encode_init(NULL, 64000, 0);
    g722_state_t *dec = g722_decode_init(NULL, 64000, 0);
    MEASURE(us, n, for (int f = 0; f < n; f++) sink = g722_encode(enc, codes + f * 160, s16.samples + f * 320, 320));
    emit("G722 encode", us);
    MEASURE(us, n, for (int f = 0; f < n; f++) sink = g722_decode(dec, out, codes + f * 160, 160));
    emit("G722 decode", us);
    free(codes);
  }
#endif

  /* Opus */
  opus_bench("opus 48k c10", &s48, 48000, 10, 1);
  opus_bench("opus 48k c5", &s48, 48000, 5, 1);
  opus_bench("opus 48k c2", &s48, 48000, 2, 0);
  opus_bench("opus 8k c5", &s8, 8000, 5, 1);

  /* Speex narrowband and wideband, quality 8 */
  for (int wb = 0; wb <= 1; wb++) {
    Pcm *in = wb ? &s16 : &s8;
    void *enc = speex_encoder_init(speex_lib_get_mode(wb ? SPEEX_MODEID_WB : SPEEX_MODEID_NB));
    void *dec = speex_decoder_init(speex_lib_get_mode(wb ? SPEEX_MODEID_WB : SPEEX_MODEID_NB));
    int enh = 1, frame = 0;
    speex_decoder_ctl(dec, SPEEX_SET_ENH, &enh);
    speex_encoder_ctl(enc, SPEEX_GET_FRAME_SIZE, &frame);
    int n = in->count / frame;
    SpeexBits bits;
    speex_bits_init(&bits);
    char (*packets)[200] = malloc((size_t)n * 200);
    int *lengths = malloc(sizeof(int) * (size_t)n);
    MEASURE(us, n, for (int f = 0; f < n; f++) {
      speex_bits_reset(&bits);
      speex_encode_int(enc, in->samples + f * frame, &bits);
      speex_bits_insert_terminator(&bits);
      lengths[f] = speex_bits_write(&bits, packets[f], 200);
    });
    emit(wb ? "speex wb encode" : "speex nb encode", us);
    MEASURE(us, n, for (int f = 0; f < n; f++) {
      speex_bits_read_from(&bits, packets[f], lengths[f]);
      speex_decode_int(dec, &bits, out);
    });
    emit(wb ? "speex wb decode" : "speex nb decode", us);
    speex_bits_destroy(&bits);
    speex_encoder_destroy(enc);
    speex_decoder_destroy(dec);
    free(packets);
    free(lengths);
  }

  /* G.729A (two 10 ms frames per 20 ms) */
  {
    bcg729EncoderChannelContextStruct *enc = initBcg729EncoderChannel(0);
    bcg729DecoderChannelContextStruct *dec = initBcg729DecoderChannel();
    uint8_t *bits = malloc((size_t)frames8 * 20);
    MEASURE(us, frames8, for (int f = 0; f < frames8 * 2; f++) {
      uint8_t length;
      bcg729Encoder(enc, s8.samples + f * 80, bits + f * 10, &length);
    });
    emit("G729 encode", us);
    MEASURE(us, frames8, for (int f = 0; f < frames8 * 2; f++) bcg729Decoder(dec, bits + f * 10, 10, 0, 0, 0, out));
    emit("G729 decode", us);
    closeBcg729EncoderChannel(enc);
    closeBcg729DecoderChannel(dec);
    free(bits);
  }

  /* speexdsp resampler, quality 3 */
  {
    int error = 0;
    SpeexResamplerState *down = speex_resampler_init(1, 48000, 8000, 3, &error);
    SpeexResamplerState *up = speex_resampler_init(1, 8000, 48000, 3, &error);
    MEASURE(us, frames48, for (int f = 0; f < frames48; f++) {
      spx_uint32_t in_len = 960, out_len = 5760;
      speex_resampler_process_int(down, 0, s48.samples + f * 960, &in_len, out, &out_len);
    });
    emit("resample 48k->8k", us);
    MEASURE(us, frames8, for (int f = 0; f < frames8; f++) {
      spx_uint32_t in_len = 160, out_len = 5760;
      speex_resampler_process_int(up, 0, s8.samples + f * 160, &in_len, out, &out_len);
    });
    emit("resample 8k->48k", us);

    /*
     * A transcoded call, per 20 ms, both directions: browser -> phone (Opus 48 kHz decode,
     * resample to 8 kHz, PCMU encode) and phone -> browser (PCMU decode, resample to 48 kHz,
     * Opus encode), for Opus complexity 10, 5 and 2; and with Opus run at 8 kHz (no resampler).
     */
    int complexities[3] = {10, 5, 2};
    for (int c = 0; c < 3; c++) {
      OpusEncoder *browser = opus_encoder_create(48000, 1, OPUS_APPLICATION_VOIP, &error);
      opus_encoder_ctl(browser, OPUS_SET_BITRATE(32000));
      uint8_t (*from_browser)[1500] = malloc((size_t)frames * 1500);
      int *lengths = malloc(sizeof(int) * (size_t)frames);
      for (int f = 0; f < frames; f++) lengths[f] = opus_encode(browser, s48.samples + f * 960, 960, from_browser[f], 1500);
      OpusDecoder *dec = opus_decoder_create(48000, 1, &error);
      OpusEncoder *enc = opus_encoder_create(48000, 1, OPUS_APPLICATION_VOIP, &error);
      opus_encoder_ctl(enc, OPUS_SET_BITRATE(32000));
      opus_encoder_ctl(enc, OPUS_SET_COMPLEXITY(complexities[c]));
      uint8_t payload[1500], g711[960];
      int16_t wide[5760], narrow[960];
      MEASURE(us, frames, for (int f = 0; f < frames; f++) {
        int n = opus_decode(dec, from_browser[f], lengths[f], wide, 960, 0);
        spx_uint32_t in_len = (spx_uint32_t)n, out_len = 960;
        speex_resampler_process_int(down, 0, wide, &in_len, narrow, &out_len);
        ulaw_encode(narrow, g711, (int)out_len);
        ulaw_encode(s8.samples + f * 160, g711, 160);
        ulaw_decode(g711, narrow, 160);
        in_len = 160;
        out_len = 5760;
        speex_resampler_process_int(up, 0, narrow, &in_len, wide, &out_len);
        if (out_len < 960) memset(wide + out_len, 0, (960 - out_len) * sizeof(int16_t));
        sink = opus_encode(enc, wide, 960, payload, sizeof payload);
      });
      char key[64];
      snprintf(key, sizeof key, "call 48k c%d", complexities[c]);
      emit(key, us);

      OpusDecoder *dec8 = opus_decoder_create(8000, 1, &error);
      OpusEncoder *enc8 = opus_encoder_create(8000, 1, OPUS_APPLICATION_VOIP, &error);
      opus_encoder_ctl(enc8, OPUS_SET_BITRATE(32000));
      opus_encoder_ctl(enc8, OPUS_SET_COMPLEXITY(complexities[c]));
      MEASURE(us, frames, for (int f = 0; f < frames; f++) {
        sink = opus_decode(dec8, from_browser[f], lengths[f], narrow, 160, 0);
        ulaw_encode(narrow, g711, 160);
        ulaw_encode(s8.samples + f * 160, g711, 160);
        ulaw_decode(g711, narrow, 160);
        sink = opus_encode(enc8, narrow, 160, payload, sizeof payload);
      });
      snprintf(key, sizeof key, "call 8k c%d", complexities[c]);
      emit(key, us);
      opus_encoder_destroy(browser);
      opus_encoder_destroy(enc);
      opus_decoder_destroy(dec);
      opus_encoder_destroy(enc8);
      opus_decoder_destroy(dec8);
      free(from_browser);
      free(lengths);
    }
    speex_resampler_destroy(down);
    speex_resampler_destroy(up);
  }
  printf("}\n");
  return 0;
}
