/*
 * Narrow, allocation-free ABI over libspeex (narrowband and wideband) for @callbridge/codecs.
 *
 * speex_encoder_init/speex_decoder_init allocate their state once per instance; encoding and
 * decoding work on the fixed buffers of the instance. One call handles one 20 ms frame.
 */
#include <stdint.h>
#include <stdlib.h>
#include <speex/speex.h>

#define EXPORT(name) __attribute__((export_name(#name)))

#define MAX_FRAME_SAMPLES 320 /* 20 ms at 16 kHz */
#define MAX_PACKET_BYTES 1500

typedef struct {
  void *encoder;
  void *decoder;
  SpeexBits encode_bits;
  SpeexBits decode_bits;
  int frame_samples;
  int16_t pcm[MAX_FRAME_SAMPLES];
  uint8_t packet[MAX_PACKET_BYTES];
  char bits_buffer[2][MAX_PACKET_BYTES];
} SpeexGlue;

/* wideband 0: narrowband (8 kHz), 1: wideband (16 kHz). */
EXPORT(speex_glue_create)
SpeexGlue *speex_glue_create(int wideband) {
  const SpeexMode *mode = speex_lib_get_mode(wideband ? SPEEX_MODEID_WB : SPEEX_MODEID_NB);
  SpeexGlue *glue = calloc(1, sizeof(SpeexGlue));
  if (glue == NULL) return NULL;
  glue->encoder = speex_encoder_init(mode);
  glue->decoder = speex_decoder_init(mode);
  if (glue->encoder == NULL || glue->decoder == NULL) {
    if (glue->encoder) speex_encoder_destroy(glue->encoder);
    if (glue->decoder) speex_decoder_destroy(glue->decoder);
    free(glue);
    return NULL;
  }
  speex_encoder_ctl(glue->encoder, SPEEX_GET_FRAME_SIZE, &glue->frame_samples);
  /* Static bit buffers: speex_bits_init_buffer never reallocates them. */
  speex_bits_init_buffer(&glue->encode_bits, glue->bits_buffer[0], MAX_PACKET_BYTES);
  speex_bits_init_buffer(&glue->decode_bits, glue->bits_buffer[1], MAX_PACKET_BYTES);
  int enhance = 1;
  speex_decoder_ctl(glue->decoder, SPEEX_SET_ENH, &enhance);
  return glue;
}

EXPORT(speex_glue_destroy)
void speex_glue_destroy(SpeexGlue *glue) {
  speex_encoder_destroy(glue->encoder);
  speex_decoder_destroy(glue->decoder);
  free(glue);
}

EXPORT(speex_glue_pcm)
int16_t *speex_glue_pcm(SpeexGlue *glue) { return glue->pcm; }

EXPORT(speex_glue_packet)
uint8_t *speex_glue_packet(SpeexGlue *glue) { return glue->packet; }

EXPORT(speex_glue_frame_samples)
int speex_glue_frame_samples(SpeexGlue *glue) { return glue->frame_samples; }

/* Integer-valued SPEEX_SET_* encoder requests (quality, complexity, VBR, VAD, DTX, bitrate). */
EXPORT(speex_glue_encoder_set)
int speex_glue_encoder_set(SpeexGlue *glue, int request, int32_t value) {
  spx_int32_t v = value;
  return speex_encoder_ctl(glue->encoder, request, &v);
}

EXPORT(speex_glue_reset)
void speex_glue_reset(SpeexGlue *glue) {
  speex_encoder_ctl(glue->encoder, SPEEX_RESET_STATE, NULL);
  speex_decoder_ctl(glue->decoder, SPEEX_RESET_STATE, NULL);
}

/* Encodes one frame from pcm into packet; returns its length, 0 when DTX suppresses it. */
EXPORT(speex_glue_encode)
int speex_glue_encode(SpeexGlue *glue) {
  speex_bits_reset(&glue->encode_bits);
  if (speex_encode_int(glue->encoder, glue->pcm, &glue->encode_bits) == 0) return 0;
  speex_bits_insert_terminator(&glue->encode_bits);
  return speex_bits_write(&glue->encode_bits, (char *)glue->packet, MAX_PACKET_BYTES);
}

/* Loads `length` bytes of packet for decoding (an RTP payload may carry several frames). */
EXPORT(speex_glue_decode_start)
void speex_glue_decode_start(SpeexGlue *glue, int length) {
  speex_bits_read_from(&glue->decode_bits, (char *)glue->packet, length);
}

/*
 * Decodes the next frame of the loaded payload into pcm. Returns 0 on success, -1 at the end
 * of the payload, -2 for a corrupt stream. lost 1 runs packet-loss concealment instead.
 */
EXPORT(speex_glue_decode_next)
int speex_glue_decode_next(SpeexGlue *glue, int lost) {
  if (lost) return speex_decode_int(glue->decoder, NULL, glue->pcm);
  if (speex_bits_remaining(&glue->decode_bits) < 5) return -1;
  return speex_decode_int(glue->decoder, &glue->decode_bits, glue->pcm);
}
