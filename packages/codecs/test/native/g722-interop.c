/*
 * spandsp's G.722 (libspandsp2, which Debian's baresip uses) as a native reference for the
 * G.722 tests. libspandsp-dev is not needed: the four functions are declared here with the
 * prototypes of spandsp 0.0.6's g722.h.
 *
 *   g722-interop encode   int16 LE PCM at 16 kHz -> G.722 octets (64 kbit/s)
 *   g722-interop decode   G.722 octets -> int16 LE PCM at 16 kHz
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef struct g722_state g722_state_t;
g722_state_t *g722_encode_init(g722_state_t *s, int rate, int options);
int g722_encode(g722_state_t *s, uint8_t g722_data[], const int16_t amp[], int len);
g722_state_t *g722_decode_init(g722_state_t *s, int rate, int options);
int g722_decode(g722_state_t *s, int16_t amp[], const uint8_t g722_data[], int len);

int main(int argc, char **argv) {
  int16_t pcm[320];
  uint8_t codes[160];
  if (argc == 2 && strcmp(argv[1], "encode") == 0) {
    g722_state_t *s = g722_encode_init(NULL, 64000, 0);
    size_t n;
    while ((n = fread(pcm, sizeof(int16_t), 320, stdin)) > 0) {
      int bytes = g722_encode(s, codes, pcm, (int)n);
      fwrite(codes, 1, (size_t)bytes, stdout);
    }
    return 0;
  }
  if (argc == 2 && strcmp(argv[1], "decode") == 0) {
    g722_state_t *s = g722_decode_init(NULL, 64000, 0);
    size_t n;
    while ((n = fread(codes, 1, 160, stdin)) > 0) {
      int samples = g722_decode(s, pcm, codes, (int)n);
      fwrite(pcm, sizeof(int16_t), (size_t)samples, stdout);
    }
    return 0;
  }
  fprintf(stderr, "usage: g722-interop encode|decode\n");
  return 1;
}
