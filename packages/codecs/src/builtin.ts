import type { AudioCodec, AudioFormat, CodecOptions } from './codec.js';
import { G711Codec } from './g711.js';
import { G722Codec } from './g722.js';
import { opusDescriptor } from './opus.js';
import { speexDescriptor } from './speex.js';
import { CodecRegistry, type CodecDescriptor } from './registry.js';

/** Describes a codec implemented in TypeScript: always loaded, created synchronously. */
export function typescriptCodec(
  format: {
    name: string;
    clockRate: number;
    channels?: number;
    staticPayloadType?: number;
    offerFmtp?: string;
  },
  create: (options: CodecOptions, fmtp: Readonly<Record<string, string>>) => AudioCodec,
): CodecDescriptor {
  return {
    name: format.name,
    clockRate: format.clockRate,
    channels: format.channels ?? 1,
    ...(format.staticPayloadType !== undefined
      ? { staticPayloadType: format.staticPayloadType }
      : {}),
    ...(format.offerFmtp !== undefined ? { offerFmtp: format.offerFmtp } : {}),
    loaded: true,
    load: () => Promise.resolve(),
    create,
  };
}

/** Registers the codecs of this package, most preferred first. */
export function registerBuiltinCodecs(registry: CodecRegistry): void {
  registry.register(opusDescriptor());
  registry.register(
    typescriptCodec(
      { name: 'G722', clockRate: 8000, staticPayloadType: 9 },
      (o) => new G722Codec(o),
    ),
  );
  registry.register(
    typescriptCodec(
      { name: 'PCMU', clockRate: 8000, staticPayloadType: 0 },
      (o) => new G711Codec('mu', o),
    ),
  );
  registry.register(
    typescriptCodec(
      { name: 'PCMA', clockRate: 8000, staticPayloadType: 8 },
      (o) => new G711Codec('a', o),
    ),
  );
  registry.register(speexDescriptor(16000));
  registry.register(speexDescriptor(8000));
}

/** The process-wide registry with every codec of this package (G.729 adds itself when installed). */
export const codecRegistry = new CodecRegistry();
registerBuiltinCodecs(codecRegistry);

/** Creates a codec for a negotiated SDP format from `codecRegistry`. */
export function createCodec(format: AudioFormat, options: CodecOptions = {}): Promise<AudioCodec> {
  return codecRegistry.create(format, options);
}

/**
 * Optional codec packages, loaded only when installed. They are not dependencies of this
 * package (G.729 is GPL-3.0): each exports a `register<Name>(registry)` function.
 */
const OPTIONAL_CODECS = [
  { specifier: '@callbridge/codec-g729', register: 'registerG729' },
] as const;

/**
 * Registers the optional codec packages that are installed (today `@callbridge/codec-g729`)
 * into `registry`, and returns the package names that were found. Runtimes that cannot import
 * by a computed name (some browser bundles) call `registerG729(registry)` themselves instead.
 */
export async function loadOptionalCodecs(
  registry: CodecRegistry = codecRegistry,
): Promise<string[]> {
  const loaded: string[] = [];
  for (const { specifier, register } of OPTIONAL_CODECS) {
    let module: unknown;
    try {
      // A computed specifier: the package is optional and must not become a dependency.
      const name: string = specifier;
      module = await import(/* @vite-ignore */ name);
    } catch {
      continue;
    }
    const fn = (module as Record<string, unknown>)[register];
    if (typeof fn === 'function') {
      (fn as (registry: CodecRegistry) => void)(registry);
      loaded.push(specifier);
    }
  }
  return loaded;
}
