/*
 * Narrow, allocation-free ABI over the speexdsp resampler for @callbridge/codecs.
 * speex_resampler_init allocates its filter once per instance; processing uses fixed buffers.
 */
#include <stdint.h>
#include <stdlib.h>
#include <speex/speex_resampler.h>

#define EXPORT(name) __attribute__((export_name(#name)))

/* 120 ms at 48 kHz, stereo, on either side. */
#define MAX_SAMPLES (5760 * 2)

typedef struct {
  SpeexResamplerState *state;
  int channels;
  int16_t input[MAX_SAMPLES];
  int16_t output[MAX_SAMPLES];
} ResamplerGlue;

EXPORT(resampler_glue_create)
ResamplerGlue *resampler_glue_create(int channels, int32_t input_rate, int32_t output_rate, int quality) {
  ResamplerGlue *glue = malloc(sizeof(ResamplerGlue));
  if (glue == NULL) return NULL;
  int error = 0;
  glue->state = speex_resampler_init(channels, input_rate, output_rate, quality, &error);
  if (glue->state == NULL || error != RESAMPLER_ERR_SUCCESS) {
    free(glue);
    return NULL;
  }
  glue->channels = channels;
  speex_resampler_skip_zeros(glue->state);
  return glue;
}

EXPORT(resampler_glue_destroy)
void resampler_glue_destroy(ResamplerGlue *glue) {
  speex_resampler_destroy(glue->state);
  free(glue);
}

EXPORT(resampler_glue_input)
int16_t *resampler_glue_input(ResamplerGlue *glue) { return glue->input; }

EXPORT(resampler_glue_output)
int16_t *resampler_glue_output(ResamplerGlue *glue) { return glue->output; }

EXPORT(resampler_glue_reset)
void resampler_glue_reset(ResamplerGlue *glue) {
  speex_resampler_reset_mem(glue->state);
  speex_resampler_skip_zeros(glue->state);
}

/*
 * Converts `frames` samples per channel from input to output. Returns the output samples per
 * channel, or a negative speexdsp error. All input is consumed when output has room.
 */
EXPORT(resampler_glue_process)
int resampler_glue_process(ResamplerGlue *glue, int frames) {
  spx_uint32_t in_len = (spx_uint32_t)frames;
  spx_uint32_t out_len = MAX_SAMPLES / (spx_uint32_t)glue->channels;
  int error = speex_resampler_process_interleaved_int(glue->state, glue->input, &in_len, glue->output, &out_len);
  if (error != RESAMPLER_ERR_SUCCESS) return -error;
  return (int)out_len;
}
