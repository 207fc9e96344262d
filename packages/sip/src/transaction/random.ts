// Branches and tags need fresh randomness on every request and response (RFC 3261 §8.1.1.7,
// §19.3). One CSPRNG call per token dominated the transaction layer's profile, so tokens are cut
// from a pool refilled 4 KiB at a time.
const ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const POOL_SIZE = 4096;
const pool = new Uint8Array(POOL_SIZE);
let offset = POOL_SIZE;

/** Char codes of one token, reused: one flat string per token instead of a chain of concatenations. */
const scratch: number[] = [];

/** `length` random characters from [a-zA-Z0-9] (about 5.95 bits each). */
export function randomChars(length: number): string {
  if (offset + length > POOL_SIZE) {
    globalThis.crypto.getRandomValues(pool);
    offset = 0;
  }
  scratch.length = length;
  for (let i = 0; i < length; i++)
    scratch[i] = ALPHABET.charCodeAt(pool[offset++]! % ALPHABET.length);
  return String.fromCharCode.apply(null, scratch);
}

/** A Via branch with the RFC 3261 magic cookie and 96 bits of randomness. */
export function randomBranch(): string {
  return `z9hG4bK${randomChars(16)}`;
}

/** A From/To tag with about 60 bits of randomness (§19.3 asks for at least 32). */
export function randomTag(): string {
  return randomChars(10);
}
