/*
 * Native reference for the codec interop tests: Debian's libopus, libspeex and (separately)
 * spandsp's G.722, driven through stdin/stdout. PCM is int16 little-endian; packets are
 * framed as a 16-bit little-endian length followed by the bytes (length 0 = lost packet).
 *
 *   interop opus-encode RATE CHANNELS BITRATE FEC   PCM 20 ms frames -> packets
 *   interop opus-decode RATE CHANNELS               packets -> PCM (0-length: PLC)
 *   interop speex-encode WIDEBAND FRAMES_PER_PACKET PCM -> packets of N 20 ms frames
 *   interop speex-decode WIDEBAND                   packets -> PCM (every frame in a packet)
 *   interop resample IN_RATE OUT_RATE QUALITY FRAME PCM -> PCM, FRAME input samples per call
 */
#include <opus.h>
#include <speex/speex.h>
#include <speex/speex_resampler.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int read_packet(uint8_t *data, int max) {
  uint8_t header[2];
  if (fread(header, 1, 2, stdin) != 2) return -1;
  int length = header[0] | header[1] << 8;
  if (length > max || fread(data, 1, (size_t)length, stdin) != (size_t)length) exit(3);
  return length;
}

static void write_packet(const uint8_t *data, int length) {
  uint8_t header[2] = {(uint8_t)(length & 0xff), (uint8_t)(length >> 8)};
  fwrite(header, 1, 2, stdout);
  fwrite(data, 1, (size_t)length, stdout);
}

static int opus_encode_main(int rate, int channels, int bitrate, int fec) {
  int error = 0;
  OpusEncoder *enc = opus_encoder_create(rate, channels, OPUS_APPLICATION_VOIP, &error);
  if (error != OPUS_OK) return 2;
  opus_encoder_ctl(enc, OPUS_SET_BITRATE(bitrate));
  opus_encoder_ctl(enc, OPUS_SET_INBAND_FEC(fec));
  if (fec) opus_encoder_ctl(enc, OPUS_SET_PACKET_LOSS_PERC(20));
  int frame = rate / 50;
  int16_t pcm[5760 * 2];
  uint8_t packet[1500];
  while (fread(pcm, sizeof(int16_t) * (size_t)channels, (size_t)frame, stdin) == (size_t)frame) {
    int length = opus_encode(enc, pcm, frame, packet, sizeof packet);
    if (length < 0) return 4;
    write_packet(packet, length);
  }
  opus_encoder_destroy(enc);
  return 0;
}

static int opus_decode_main(int rate, int channels) {
  int error = 0;
  OpusDecoder *dec = opus_decoder_create(rate, channels, &error);
  if (error != OPUS_OK) return 2;
  int16_t pcm[5760 * 2];
  uint8_t packet[1500];
  int length;
  while ((length = read_packet(packet, sizeof packet)) >= 0) {
    int samples = opus_decode(dec, length ? packet : NULL, length, pcm, length ? 5760 : rate / 50, 0);
    if (samples < 0) return 4;
    fwrite(pcm, sizeof(int16_t) * (size_t)channels, (size_t)samples, stdout);
  }
  opus_decoder_destroy(dec);
  return 0;
}

static int speex_encode_main(int wideband, int frames_per_packet) {
  void *enc = speex_encoder_init(speex_lib_get_mode(wideband ? SPEEX_MODEID_WB : SPEEX_MODEID_NB));
  int frame = 0;
  speex_encoder_ctl(enc, SPEEX_GET_FRAME_SIZE, &frame);
  SpeexBits bits;
  speex_bits_init(&bits);
  int16_t pcm[320];
  char packet[1500];
  int in_packet = 0;
  while (fread(pcm, sizeof(int16_t), (size_t)frame, stdin) == (size_t)frame) {
    speex_encode_int(enc, pcm, &bits);
    if (++in_packet == frames_per_packet) {
      speex_bits_insert_terminator(&bits);
      int length = speex_bits_write(&bits, packet, sizeof packet);
      write_packet((uint8_t *)packet, length);
      speex_bits_reset(&bits);
      in_packet = 0;
    }
  }
  speex_bits_destroy(&bits);
  speex_encoder_destroy(enc);
  return 0;
}

static int speex_decode_main(int wideband) {
  void *dec = speex_decoder_init(speex_lib_get_mode(wideband ? SPEEX_MODEID_WB : SPEEX_MODEID_NB));
  int enhance = 1;
  speex_decoder_ctl(dec, SPEEX_SET_ENH, &enhance);
  int frame = 0;
  speex_decoder_ctl(dec, SPEEX_GET_FRAME_SIZE, &frame);
  SpeexBits bits;
  speex_bits_init(&bits);
  int16_t pcm[320];
  uint8_t packet[1500];
  int length;
  while ((length = read_packet(packet, sizeof packet)) >= 0) {
    speex_bits_read_from(&bits, (char *)packet, length);
    while (speex_bits_remaining(&bits) >= 5 && speex_decode_int(dec, &bits, pcm) == 0) {
      fwrite(pcm, sizeof(int16_t), (size_t)frame, stdout);
    }
  }
  speex_bits_destroy(&bits);
  speex_decoder_destroy(dec);
  return 0;
}

static int resample_main(int in_rate, int out_rate, int quality, int frame) {
  int error = 0;
  SpeexResamplerState *st = speex_resampler_init(1, (spx_uint32_t)in_rate, (spx_uint32_t)out_rate, quality, &error);
  if (error != RESAMPLER_ERR_SUCCESS || frame <= 0 || frame > 5760) return 2;
  speex_resampler_skip_zeros(st);
  int16_t in[5760], out[5760 * 6];
  while (fread(in, sizeof(int16_t), (size_t)frame, stdin) == (size_t)frame) {
    spx_uint32_t in_len = (spx_uint32_t)frame, out_len = 5760 * 6;
    speex_resampler_process_int(st, 0, in, &in_len, out, &out_len);
    fwrite(out, sizeof(int16_t), out_len, stdout);
  }
  speex_resampler_destroy(st);
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 6 && strcmp(argv[1], "opus-encode") == 0)
    return opus_encode_main(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]), atoi(argv[5]));
  if (argc >= 4 && strcmp(argv[1], "opus-decode") == 0) return opus_decode_main(atoi(argv[2]), atoi(argv[3]));
  if (argc >= 4 && strcmp(argv[1], "speex-encode") == 0) return speex_encode_main(atoi(argv[2]), atoi(argv[3]));
  if (argc >= 3 && strcmp(argv[1], "speex-decode") == 0) return speex_decode_main(atoi(argv[2]));
  if (argc >= 6 && strcmp(argv[1], "resample") == 0)
    return resample_main(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]), atoi(argv[5]));
  fprintf(stderr, "usage: see the comment at the top of interop.c\n");
  return 1;
}
