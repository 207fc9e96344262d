/*
 * Debian's libbcg729 as the native reference for the G.729 tests, through stdin/stdout.
 * PCM is int16 little-endian; each 10 ms frame is framed as a 16-bit little-endian length and
 * its bytes (10 speech, 2 SID, 0 untransmitted / lost).
 *
 *   g729-interop encode VAD   PCM -> frames
 *   g729-interop decode       frames -> PCM (80 samples per frame; length 0 = erasure)
 */
#include <bcg729/decoder.h>
#include <bcg729/encoder.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
  int16_t pcm[80];
  uint8_t frame[16];
  if (argc == 3 && strcmp(argv[1], "encode") == 0) {
    bcg729EncoderChannelContextStruct *enc = initBcg729EncoderChannel((uint8_t)atoi(argv[2]));
    while (fread(pcm, sizeof(int16_t), 80, stdin) == 80) {
      uint8_t length = 0;
      bcg729Encoder(enc, pcm, frame, &length);
      uint8_t header[2] = {length, 0};
      fwrite(header, 1, 2, stdout);
      fwrite(frame, 1, length, stdout);
    }
    closeBcg729EncoderChannel(enc);
    return 0;
  }
  if (argc == 2 && strcmp(argv[1], "decode") == 0) {
    bcg729DecoderChannelContextStruct *dec = initBcg729DecoderChannel();
    uint8_t header[2];
    while (fread(header, 1, 2, stdin) == 2) {
      int length = header[0];
      if (length > 10 || fread(frame, 1, (size_t)length, stdin) != (size_t)length) return 3;
      bcg729Decoder(dec, length ? frame : NULL, (uint8_t)length, length == 0, length == 2, 0, pcm);
      fwrite(pcm, sizeof(int16_t), 80, stdout);
    }
    closeBcg729DecoderChannel(dec);
    return 0;
  }
  fprintf(stderr, "usage: g729-interop encode VAD | decode\n");
  return 1;
}
