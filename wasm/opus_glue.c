/*
 * Narrow, allocation-free ABI over libopus for @callbridge/codecs.
 *
 * One malloc per codec instance (opus_glue_create) holds the encoder, the decoder and the
 * fixed PCM/packet buffers the JavaScript side reads and writes in place; encoding and
 * decoding never allocate. Functions return a negative libopus error code on failure.
 */
#include <stdint.h>
#include <stdlib.h>
#include <opus.h>

#define EXPORT(name) __attribute__((export_name(#name)))

/* 120 ms at 48 kHz, stereo: the largest frame libopus decodes (RFC 6716 §3.2.5). */
#define MAX_FRAME_SAMPLES 5760
#define MAX_PACKET_BYTES 1500

typedef struct {
  OpusEncoder *encoder; /* inside this allocation, after the struct */
  OpusDecoder *decoder;
  int channels;
  int16_t pcm[MAX_FRAME_SAMPLES * 2];
  uint8_t packet[MAX_PACKET_BYTES];
} OpusGlue;

EXPORT(opus_glue_create)
OpusGlue *opus_glue_create(int32_t sample_rate, int channels, int application) {
  int encoder_size = opus_encoder_get_size(channels);
  int decoder_size = opus_decoder_get_size(channels);
  if (encoder_size <= 0 || decoder_size <= 0) return NULL;
  size_t header = (sizeof(OpusGlue) + 15) & ~(size_t)15;
  size_t encoder_bytes = ((size_t)encoder_size + 15) & ~(size_t)15;
  uint8_t *memory = malloc(header + encoder_bytes + (size_t)decoder_size);
  if (memory == NULL) return NULL;
  OpusGlue *glue = (OpusGlue *)memory;
  glue->encoder = (OpusEncoder *)(memory + header);
  glue->decoder = (OpusDecoder *)(memory + header + encoder_bytes);
  glue->channels = channels;
  if (opus_encoder_init(glue->encoder, sample_rate, channels, application) != OPUS_OK ||
      opus_decoder_init(glue->decoder, sample_rate, channels) != OPUS_OK) {
    free(memory);
    return NULL;
  }
  return glue;
}

EXPORT(opus_glue_destroy)
void opus_glue_destroy(OpusGlue *glue) { free(glue); }

EXPORT(opus_glue_pcm)
int16_t *opus_glue_pcm(OpusGlue *glue) { return glue->pcm; }

EXPORT(opus_glue_packet)
uint8_t *opus_glue_packet(OpusGlue *glue) { return glue->packet; }

/* Integer-valued OPUS_SET_* requests (bitrate, complexity, FEC, packet loss, DTX, ...). */
EXPORT(opus_glue_encoder_set)
int opus_glue_encoder_set(OpusGlue *glue, int request, int32_t value) {
  return opus_encoder_ctl(glue->encoder, request, value);
}

EXPORT(opus_glue_encoder_reset)
int opus_glue_encoder_reset(OpusGlue *glue) { return opus_encoder_ctl(glue->encoder, OPUS_RESET_STATE); }

EXPORT(opus_glue_decoder_reset)
int opus_glue_decoder_reset(OpusGlue *glue) { return opus_decoder_ctl(glue->decoder, OPUS_RESET_STATE); }

/* Encodes `frame_samples` per channel from pcm into packet; returns the packet length. */
EXPORT(opus_glue_encode)
int opus_glue_encode(OpusGlue *glue, int frame_samples) {
  return opus_encode(glue->encoder, glue->pcm, frame_samples, glue->packet, MAX_PACKET_BYTES);
}

/*
 * Decodes `length` bytes from packet into pcm; returns samples per channel. length 0 runs the
 * packet-loss concealment for `max_samples`; fec 1 decodes the in-band FEC copy of the
 * previous packet (RFC 6716 §4.2.5) from the packet in the buffer.
 */
EXPORT(opus_glue_decode)
int opus_glue_decode(OpusGlue *glue, int length, int max_samples, int fec) {
  if (max_samples > MAX_FRAME_SAMPLES) max_samples = MAX_FRAME_SAMPLES;
  return opus_decode(glue->decoder, length > 0 ? glue->packet : NULL, length, glue->pcm, max_samples, fec);
}
