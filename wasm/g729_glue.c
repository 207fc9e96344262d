/*
 * Narrow, allocation-free ABI over bcg729 (ITU-T G.729 Annex A, with Annex B VAD/DTX/CNG) for
 * @callbridge/codec-g729. bcg729 allocates each channel context once; a call handles one
 * 10 ms frame (80 samples, 10 bytes; 2-byte SID frames; 0 bytes when nothing is sent).
 */
#include <stdint.h>
#include <stdlib.h>
#include <bcg729/decoder.h>
#include <bcg729/encoder.h>

#define EXPORT(name) __attribute__((export_name(#name)))

typedef struct {
  bcg729EncoderChannelContextStruct *encoder;
  bcg729DecoderChannelContextStruct *decoder;
  int vad;
  int16_t pcm[80];
  uint8_t packet[16];
} G729Glue;

EXPORT(g729_glue_create)
G729Glue *g729_glue_create(int vad) {
  G729Glue *glue = calloc(1, sizeof(G729Glue));
  if (glue == NULL) return NULL;
  glue->vad = vad != 0;
  glue->encoder = initBcg729EncoderChannel((uint8_t)glue->vad);
  glue->decoder = initBcg729DecoderChannel();
  if (glue->encoder == NULL || glue->decoder == NULL) {
    if (glue->encoder) closeBcg729EncoderChannel(glue->encoder);
    if (glue->decoder) closeBcg729DecoderChannel(glue->decoder);
    free(glue);
    return NULL;
  }
  return glue;
}

EXPORT(g729_glue_destroy)
void g729_glue_destroy(G729Glue *glue) {
  closeBcg729EncoderChannel(glue->encoder);
  closeBcg729DecoderChannel(glue->decoder);
  free(glue);
}

EXPORT(g729_glue_pcm)
int16_t *g729_glue_pcm(G729Glue *glue) { return glue->pcm; }

EXPORT(g729_glue_packet)
uint8_t *g729_glue_packet(G729Glue *glue) { return glue->packet; }

/* Re-creates both channels (bcg729 has no reset call). Returns 0, or -1 when out of memory. */
EXPORT(g729_glue_reset)
int g729_glue_reset(G729Glue *glue) {
  closeBcg729EncoderChannel(glue->encoder);
  closeBcg729DecoderChannel(glue->decoder);
  glue->encoder = initBcg729EncoderChannel((uint8_t)glue->vad);
  glue->decoder = initBcg729DecoderChannel();
  return glue->encoder != NULL && glue->decoder != NULL ? 0 : -1;
}

/* Encodes the 80 samples in pcm; returns 10 (speech), 2 (SID) or 0 (no transmission). */
EXPORT(g729_glue_encode)
int g729_glue_encode(G729Glue *glue) {
  uint8_t length = 0;
  bcg729Encoder(glue->encoder, glue->pcm, glue->packet, &length);
  return length;
}

/*
 * Decodes one frame of `length` bytes (10 speech, 2 SID) from packet into pcm; length 0 runs
 * the frame-erasure concealment (G.729 §4.4), which after a SID keeps generating comfort noise.
 */
EXPORT(g729_glue_decode)
void g729_glue_decode(G729Glue *glue, int length) {
  uint8_t erased = length == 0;
  uint8_t sid = length == 2;
  bcg729Decoder(glue->decoder, erased ? NULL : glue->packet, (uint8_t)length, erased, sid, 0, glue->pcm);
}
