/*
 * Native baseline for `npm run bench -- srtp`: protect + unprotect packets per second with
 * libsrtp, one profile and packet size per run, on one thread.
 *
 *   srtp-bench <profile> <packet size> <seconds>
 *
 * Prints "<packets per CPU second>". Profiles as in @callbridge/srtp.
 */
#include <srtp2/srtp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* CPU time of this process: on a shared, loaded machine it is far steadier than wall time. */
static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int set_policy(const char *profile, srtp_policy_t *policy, int *key_length) {
  *key_length = 30;
  if (!strcmp(profile, "AES_CM_128_HMAC_SHA1_80")) {
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy->rtp);
  } else if (!strcmp(profile, "AES_CM_128_HMAC_SHA1_32")) {
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&policy->rtp);
  } else if (!strcmp(profile, "AES_256_CM_HMAC_SHA1_80")) {
    srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&policy->rtp);
    *key_length = 46;
  } else if (!strcmp(profile, "AEAD_AES_128_GCM")) {
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy->rtp);
    *key_length = 28;
  } else if (!strcmp(profile, "AEAD_AES_256_GCM")) {
    srtp_crypto_policy_set_aes_gcm_256_16_auth(&policy->rtp);
    *key_length = 44;
  } else {
    return -1;
  }
  policy->rtcp = policy->rtp;
  return 0;
}

int main(int argc, char **argv) {
  unsigned char key[64];
  unsigned char packet[2048 + SRTP_MAX_TRAILER_LEN];
  srtp_policy_t policy;
  srtp_t sender, receiver;
  int key_length, size;
  double seconds, start, elapsed;
  unsigned long count = 0;
  unsigned int seq = 0;

  if (argc != 4) {
    fprintf(stderr, "usage: %s <profile> <packet size> <seconds>\n", argv[0]);
    return 2;
  }
  size = atoi(argv[2]);
  seconds = atof(argv[3]);
  if (size < 12 || size > 2048) return 2;
  if (srtp_init() != srtp_err_status_ok) return 1;
  memset(&policy, 0, sizeof policy);
  if (set_policy(argv[1], &policy, &key_length) != 0) return 3;
  for (int i = 0; i < key_length; i++) key[i] = (unsigned char)(i * 7 + 1);
  policy.key = key;
  policy.window_size = 128;
  policy.ssrc.type = ssrc_any_outbound;
  if (srtp_create(&sender, &policy) != srtp_err_status_ok) return 4;
  policy.ssrc.type = ssrc_any_inbound;
  if (srtp_create(&receiver, &policy) != srtp_err_status_ok) return 4;

  start = now();
  do {
    for (int batch = 0; batch < 1000; batch++) {
      int length = size;
      memset(packet, 0xab, size);
      packet[0] = 0x80;
      packet[1] = 111;
      packet[2] = (unsigned char)(seq >> 8);
      packet[3] = (unsigned char)seq;
      memset(packet + 4, 0, 4);
      packet[8] = 0xca;
      packet[9] = 0xfe;
      packet[10] = 0xba;
      packet[11] = 0xbe;
      seq = (seq + 1) & 0xffff;
      if (srtp_protect(sender, packet, &length) != srtp_err_status_ok) return 5;
      if (srtp_unprotect(receiver, packet, &length) != srtp_err_status_ok) return 6;
      count++;
    }
    elapsed = now() - start;
  } while (elapsed < seconds);
  printf("%.0f\n", count / elapsed);
  srtp_dealloc(sender);
  srtp_dealloc(receiver);
  srtp_shutdown();
  return 0;
}
