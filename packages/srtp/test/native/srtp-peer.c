/*
 * libsrtp peer for the interop tests of @callbridge/srtp.
 *
 *   srtp-peer <profile> <master key hex> <master salt hex>
 *
 * Reads commands from stdin, one per line: "<op> <packet hex>" with op one of
 * rtp-protect, rtp-unprotect, rtcp-protect, rtcp-unprotect. Answers each with
 * "ok <hex>" or "err <srtp_err_status_t>". Protection uses a session with an
 * ssrc_any_outbound policy, unprotection one with ssrc_any_inbound, both keyed alike.
 */
#include <srtp2/srtp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PACKET 8192

static int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static int from_hex(const char *hex, unsigned char *out, int max) {
  int n = 0;
  while (hex[0] && hex[1] && hex[0] != '\n' && n < max) {
    int hi = hex_value(hex[0]), lo = hex_value(hex[1]);
    if (hi < 0 || lo < 0) return -1;
    out[n++] = (unsigned char)(hi << 4 | lo);
    hex += 2;
  }
  return n;
}

static int set_policy(const char *profile, srtp_policy_t *policy) {
  if (!strcmp(profile, "AES_CM_128_HMAC_SHA1_80")) {
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy->rtp);
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy->rtcp);
  } else if (!strcmp(profile, "AES_CM_128_HMAC_SHA1_32")) {
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&policy->rtp);
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy->rtcp);
  } else if (!strcmp(profile, "AES_256_CM_HMAC_SHA1_80")) {
    srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&policy->rtp);
    srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&policy->rtcp);
  } else if (!strcmp(profile, "AES_256_CM_HMAC_SHA1_32")) {
    srtp_crypto_policy_set_aes_cm_256_hmac_sha1_32(&policy->rtp);
    srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&policy->rtcp);
  } else if (!strcmp(profile, "AEAD_AES_128_GCM")) {
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy->rtp);
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy->rtcp);
  } else if (!strcmp(profile, "AEAD_AES_256_GCM")) {
    srtp_crypto_policy_set_aes_gcm_256_16_auth(&policy->rtp);
    srtp_crypto_policy_set_aes_gcm_256_16_auth(&policy->rtcp);
  } else {
    return -1;
  }
  return 0;
}

int main(int argc, char **argv) {
  static unsigned char key[64];
  static char line[4 * MAX_PACKET];
  static unsigned char packet[MAX_PACKET + SRTP_MAX_TRAILER_LEN];
  srtp_t sender, receiver;
  srtp_policy_t policy;
  int key_length, salt_length;

  if (argc != 4) {
    fprintf(stderr, "usage: %s <profile> <master key hex> <master salt hex>\n", argv[0]);
    return 2;
  }
  if (srtp_init() != srtp_err_status_ok) return 1;
  key_length = from_hex(argv[2], key, 32);
  salt_length = from_hex(argv[3], key + key_length, 32);
  if (key_length <= 0 || salt_length <= 0) return 2;

  memset(&policy, 0, sizeof policy);
  if (set_policy(argv[1], &policy) != 0) {
    fprintf(stderr, "unsupported profile %s\n", argv[1]);
    return 3;
  }
  policy.key = key;
  policy.window_size = 128;
  policy.ssrc.type = ssrc_any_outbound;
  if (srtp_create(&sender, &policy) != srtp_err_status_ok) return 4;
  policy.ssrc.type = ssrc_any_inbound;
  if (srtp_create(&receiver, &policy) != srtp_err_status_ok) return 4;

  while (fgets(line, sizeof line, stdin)) {
    char *space = strchr(line, ' ');
    int length;
    srtp_err_status_t status;
    if (!space) continue;
    *space = 0;
    length = from_hex(space + 1, packet, MAX_PACKET);
    if (length < 0) {
      printf("err bad-hex\n");
      continue;
    }
    if (!strcmp(line, "rtp-protect")) {
      status = srtp_protect(sender, packet, &length);
    } else if (!strcmp(line, "rtp-unprotect")) {
      status = srtp_unprotect(receiver, packet, &length);
    } else if (!strcmp(line, "rtcp-protect")) {
      status = srtp_protect_rtcp(sender, packet, &length);
    } else if (!strcmp(line, "rtcp-unprotect")) {
      status = srtp_unprotect_rtcp(receiver, packet, &length);
    } else {
      printf("err bad-op\n");
      continue;
    }
    if (status != srtp_err_status_ok) {
      printf("err %d\n", (int)status);
    } else {
      printf("ok ");
      for (int i = 0; i < length; i++) printf("%02x", packet[i]);
      printf("\n");
    }
    fflush(stdout);
  }
  srtp_dealloc(sender);
  srtp_dealloc(receiver);
  srtp_shutdown();
  return 0;
}
