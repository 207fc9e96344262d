/**
 * Optional access to Node's `node:crypto` without importing it: browsers (and bundlers) never see
 * a Node module, and under Node the native AES (AES-NI through OpenSSL) is picked up at run time
 * through `process.getBuiltinModule` (Node ≥ 20.16). Only the few calls this package makes are
 * described here.
 */
export interface NativeCipher {
  update(data: Uint8Array): Uint8Array;
  final(): Uint8Array;
  setAutoPadding(enabled: boolean): unknown;
  setAAD(aad: Uint8Array): unknown;
  getAuthTag(): Uint8Array;
  setAuthTag(tag: Uint8Array): unknown;
}

export interface NativeCrypto {
  createCipheriv(
    algorithm: string,
    key: Uint8Array,
    iv: Uint8Array | null,
    options?: { authTagLength: number },
  ): NativeCipher;
  createDecipheriv(
    algorithm: string,
    key: Uint8Array,
    iv: Uint8Array | null,
    options?: { authTagLength: number },
  ): NativeCipher;
  /** One-shot digest (Node ≥ 20.12). */
  hash?: (algorithm: string, data: Uint8Array, encoding: 'buffer') => Uint8Array;
}

let cached: NativeCrypto | null | undefined;

/** Node's crypto module when running under Node, else undefined. */
export function nativeCrypto(): NativeCrypto | undefined {
  if (cached === undefined) {
    cached = null;
    try {
      const host = globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } };
      const module = host.process?.getBuiltinModule?.('node:crypto') as NativeCrypto | undefined;
      if (module && typeof module.createCipheriv === 'function') cached = module;
    } catch {
      cached = null;
    }
  }
  return cached ?? undefined;
}
