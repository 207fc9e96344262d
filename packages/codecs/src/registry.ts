import { parseFmtp, type AudioCodec, type AudioFormat, type CodecOptions } from './codec.js';
import { CodecError } from './errors.js';

/**
 * One codec implementation as SDP names it. The SDP layer lists `registry.list()` as the
 * capability set; the media core creates codecs from negotiated formats.
 */
export interface CodecDescriptor {
  /** SDP encoding name with its canonical spelling (`PCMU`, `opus`, `G722`, `speex`). */
  readonly name: string;
  /** RTP clock rate in SDP. */
  readonly clockRate: number;
  /** Encoding channels in SDP rtpmap (1 unless the payload format says otherwise). */
  readonly channels: number;
  /** RTP static payload type (RFC 3551) if any. */
  readonly staticPayloadType?: number;
  /** fmtp to put in an offer (without `a=fmtp:<pt> `), if the format wants one. */
  readonly offerFmtp?: string;
  /** Whether the implementation is ready for `create()` (WebAssembly compiled). */
  readonly loaded: boolean;
  /** Compiles what the implementation needs; resolves at once when nothing is needed. */
  load(): Promise<void>;
  /**
   * Creates a codec instance. Explicit `options` win over what `fmtp` says. Throws
   * `ERR_CODEC_WASM_LOAD` when called before `load()` resolved.
   */
  create(options: CodecOptions, fmtp: Readonly<Record<string, string>>): AudioCodec;
}

function key(name: string, clockRate: number, channels: number): string {
  return `${name.toLowerCase()}/${clockRate}/${channels}`;
}

/** Maps SDP formats to codec implementations, in preference order. */
export class CodecRegistry {
  readonly #byKey = new Map<string, CodecDescriptor>();

  /** Adds an implementation; a format registered twice is replaced and keeps its position. */
  register(descriptor: CodecDescriptor): void {
    this.#byKey.set(key(descriptor.name, descriptor.clockRate, descriptor.channels), descriptor);
  }

  /** Removes the implementation of a format; returns whether there was one. */
  unregister(format: AudioFormat): boolean {
    return this.#byKey.delete(key(format.name, format.clockRate, format.channels ?? 1));
  }

  /** The implementation for an SDP format (name case-insensitive). */
  find(format: AudioFormat): CodecDescriptor | undefined {
    if (format.channels !== undefined)
      return this.#byKey.get(key(format.name, format.clockRate, format.channels));
    // rtpmap without a channel count means 1, but callers that do not pass one (e.g. asking
    // for `opus/48000`, always `/2` in SDP) get the single registered variant of that name.
    const mono = this.#byKey.get(key(format.name, format.clockRate, 1));
    if (mono) return mono;
    const name = format.name.toLowerCase();
    const matches = this.list().filter(
      (d) => d.name.toLowerCase() === name && d.clockRate === format.clockRate,
    );
    return matches.length === 1 ? matches[0] : undefined;
  }

  has(format: AudioFormat): boolean {
    return this.find(format) !== undefined;
  }

  /** Every supported format in preference order (registration order): the SDP capability list. */
  list(): readonly CodecDescriptor[] {
    return [...this.#byKey.values()];
  }

  /** Loads (compiles) the implementations of the given formats, or of all, ahead of time. */
  async preload(formats?: readonly AudioFormat[]): Promise<void> {
    const descriptors = formats ? formats.map((f) => this.#require(f)) : this.list();
    await Promise.all(descriptors.map((d) => d.load()));
  }

  /** Creates a codec for a negotiated format, loading its implementation first if needed. */
  async create(format: AudioFormat, options: CodecOptions = {}): Promise<AudioCodec> {
    const descriptor = this.#require(format);
    await descriptor.load();
    return descriptor.create(options, parseFmtp(format.fmtp));
  }

  /**
   * Creates a codec without waiting: works for TypeScript codecs always and for WebAssembly
   * codecs after `preload()`; otherwise throws `ERR_CODEC_WASM_LOAD`.
   */
  createSync(format: AudioFormat, options: CodecOptions = {}): AudioCodec {
    return this.#require(format).create(options, parseFmtp(format.fmtp));
  }

  #require(format: AudioFormat): CodecDescriptor {
    const descriptor = this.find(format);
    if (descriptor) return descriptor;
    const wanted = `${format.name}/${format.clockRate}/${format.channels ?? 1}`;
    const known = this.list()
      .map((d) => `${d.name}/${d.clockRate}/${d.channels}`)
      .join(', ');
    throw new CodecError(
      'ERR_CODEC_UNSUPPORTED',
      `no codec registered for ${wanted} (have: ${known})`,
    );
  }
}
