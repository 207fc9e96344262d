import type { SrtpContextOptions } from './context.js';
import { SrtpError } from './errors.js';
import { SRTP_PROFILES, type SrtpProfile, type SrtpProfileName } from './profiles.js';

/** One key of an `a=crypto` line (RFC 4568 §6.1, "inline" key method). */
export interface SdesKey {
  readonly masterKey: Uint8Array;
  readonly masterSalt: Uint8Array;
  /** Packets this key may protect (the `|2^20` part), when given. */
  readonly lifetime?: number;
  /** MKI value and length in octets (the `|1:4` part), when given. */
  readonly mki?: { readonly value: number; readonly length: number };
}

/** A parsed `a=crypto` attribute (RFC 4568 §9.1). */
export interface SdesCrypto {
  readonly tag: number;
  /** The crypto-suite as written. */
  readonly suite: string;
  /** The profile, when the suite is one this package supports. */
  readonly profile: SrtpProfile | undefined;
  readonly keys: readonly SdesKey[];
  /** Session parameters as written (e.g. `UNENCRYPTED_SRTCP`, `KDR=0`, `WSH=128`). */
  readonly sessionParameters: readonly string[];
}

const SUITE = /^[A-Za-z0-9_]+$/;

/**
 * Parses an `a=crypto` line or its value (`1 AES_CM_128_HMAC_SHA1_80 inline:<base64>|2^20|1:4`).
 * Unknown suites parse with `profile` undefined so an offer can be answered with what fits.
 * Throws `SrtpError` SDES_BAD_CRYPTO_LINE on syntax errors.
 */
export function parseSdesCrypto(line: string): SdesCrypto {
  const value = line.trim().replace(/^(a=)?crypto:/i, '');
  const fields = value.split(/\s+/);
  const [tagText, suite, keyParams, ...sessionParameters] = fields;
  if (!tagText || !/^\d{1,9}$/.test(tagText) || !suite || !SUITE.test(suite) || !keyParams) {
    throw bad(line, 'expected "<tag> <crypto-suite> <key-params> [<session-params>]"');
  }
  const profile = SRTP_PROFILES.find((p) => p.name === suite.toUpperCase());
  const keys = keyParams.split(';').map((param) => parseKeyParam(param, profile, line));
  return { tag: Number(tagText), suite, profile, keys, sessionParameters };
}

function parseKeyParam(param: string, profile: SrtpProfile | undefined, line: string): SdesKey {
  const match = /^inline:([A-Za-z0-9+/=]+)(?:\|([^|]+))?(?:\|([^|]+))?$/.exec(param);
  if (!match) throw bad(line, `unsupported key-params "${param}" (only inline keys)`);
  const material = decodeBase64(match[1]!, line);
  let lifetime: number | undefined;
  let mki: { value: number; length: number } | undefined;
  for (const part of [match[2], match[3]]) {
    if (part === undefined) continue;
    const mkiMatch = /^(\d+):(\d+)$/.exec(part);
    if (mkiMatch) {
      const length = Number(mkiMatch[2]);
      if (length < 1 || length > 128) throw bad(line, `MKI length ${length} not in 1..128`);
      mki = { value: Number(mkiMatch[1]), length };
      continue;
    }
    const power = /^2\^(\d+)$/.exec(part);
    if (power) lifetime = 2 ** Number(power[1]);
    else if (/^\d+$/.test(part)) lifetime = Number(part);
    else throw bad(line, `cannot read "${part}" as a lifetime or MKI`);
  }
  let masterKey: Uint8Array;
  let masterSalt: Uint8Array;
  if (profile) {
    const expected = profile.masterKeyLength + profile.masterSaltLength;
    if (material.length !== expected) {
      throw bad(
        line,
        `${profile.name} needs ${expected} octets of key and salt, got ${material.length}`,
      );
    }
    masterKey = material.slice(0, profile.masterKeyLength);
    masterSalt = material.slice(profile.masterKeyLength);
  } else {
    masterKey = material;
    masterSalt = new Uint8Array(0);
  }
  return {
    masterKey,
    masterSalt,
    ...(lifetime !== undefined ? { lifetime } : {}),
    ...(mki ? { mki } : {}),
  };
}

/** Formats the value of an `a=crypto` attribute (without `a=crypto:`). */
export function formatSdesCrypto(crypto: {
  readonly tag: number;
  readonly profile: SrtpProfileName | SrtpProfile;
  readonly masterKey: Uint8Array;
  readonly masterSalt: Uint8Array;
  readonly lifetime?: number;
  readonly sessionParameters?: readonly string[];
}): string {
  const profile =
    typeof crypto.profile === 'string'
      ? SRTP_PROFILES.find((p) => p.name === crypto.profile)
      : crypto.profile;
  if (!profile) {
    const name = typeof crypto.profile === 'string' ? crypto.profile : crypto.profile.name;
    throw new SrtpError('SRTP_UNKNOWN_PROFILE', `unknown profile ${name}`);
  }
  if (
    crypto.masterKey.length !== profile.masterKeyLength ||
    crypto.masterSalt.length !== profile.masterSaltLength
  ) {
    throw new SrtpError('SRTP_BAD_KEY', `key or salt length does not fit ${profile.name}`);
  }
  const material = new Uint8Array(profile.masterKeyLength + profile.masterSaltLength);
  material.set(crypto.masterKey);
  material.set(crypto.masterSalt, profile.masterKeyLength);
  let lifetime = '';
  if (crypto.lifetime !== undefined) {
    const exponent = Math.log2(crypto.lifetime);
    lifetime = Number.isInteger(exponent) ? `|2^${exponent}` : `|${crypto.lifetime}`;
  }
  const params = crypto.sessionParameters?.length ? ` ${crypto.sessionParameters.join(' ')}` : '';
  return `${crypto.tag} ${profile.name} inline:${encodeBase64(material)}${lifetime}${params}`;
}

/** A fresh random master key and salt for `profile` (Web Crypto's CSPRNG). */
export function generateSdesKey(profile: SrtpProfile): {
  masterKey: Uint8Array;
  masterSalt: Uint8Array;
} {
  const masterKey = new Uint8Array(profile.masterKeyLength);
  const masterSalt = new Uint8Array(profile.masterSaltLength);
  globalThis.crypto.getRandomValues(masterKey);
  globalThis.crypto.getRandomValues(masterSalt);
  return { masterKey, masterSalt };
}

/**
 * Options for an `SrtpContext` from a parsed line. Throws `SrtpError` SDES_BAD_CRYPTO_LINE for
 * what this package does not implement: unknown suites, MKI, several keys, KDR other than 0,
 * FEC parameters. `UNENCRYPTED_SRTP`/`UNENCRYPTED_SRTCP` and `WSH` are honoured.
 */
export function sdesContextOptions(crypto: SdesCrypto): SrtpContextOptions {
  if (!crypto.profile) throw bad(crypto.suite, `crypto-suite ${crypto.suite} is not supported`);
  if (crypto.keys.length !== 1 || crypto.keys[0]!.mki) {
    throw bad(crypto.suite, 'MKI and multiple keys are not supported');
  }
  let windowSize: number | undefined;
  let encryptRtp = true;
  let encryptRtcp = true;
  for (const param of crypto.sessionParameters) {
    const [name, value] = param.split('=');
    switch (name) {
      case 'UNENCRYPTED_SRTP':
        encryptRtp = false;
        break;
      case 'UNENCRYPTED_SRTCP':
        encryptRtcp = false;
        break;
      case 'WSH':
        windowSize = Number(value);
        break;
      case 'KDR':
        if (Number(value) !== 0)
          throw bad(param, 'key derivation rates other than 0 are not supported');
        break;
      default:
        throw bad(param, `session parameter ${param} is not supported`);
    }
  }
  const key = crypto.keys[0]!;
  return {
    profile: crypto.profile,
    masterKey: key.masterKey,
    masterSalt: key.masterSalt,
    encryptRtp,
    encryptRtcp,
    ...(windowSize !== undefined && windowSize >= 64 ? { replayWindow: windowSize } : {}),
  };
}

function bad(line: string, why: string): SrtpError {
  return new SrtpError('SDES_BAD_CRYPTO_LINE', `bad a=crypto "${line}": ${why}`);
}

function decodeBase64(text: string, line: string): Uint8Array {
  let binary: string;
  try {
    binary = atob(text);
  } catch (error) {
    throw new SrtpError('SDES_BAD_CRYPTO_LINE', `bad a=crypto "${line}": invalid base64`, {
      cause: error,
    });
  }
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

function encodeBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}
