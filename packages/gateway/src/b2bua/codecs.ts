// The codec implementations the bridge transcodes with: every codec of @callbridge/codecs, plus
// Opus registered as mono voice. SDP always names Opus "opus/48000/2" (RFC 7587 §7) whatever the
// stream holds, and `stereo=1` is only the receiver's preference; the bridge carries one voice,
// so its Opus encoder and decoder run with one channel. Optional codec packages (G.729, GPL) are
// added when installed, so a G.729-only phone can be transcoded to.
import {
  CodecRegistry,
  codecRegistry,
  loadOptionalCodecs,
  opusDescriptor,
  type CodecDescriptor,
} from '@callbridge/codecs';

function monoOpus(): CodecDescriptor {
  const opus = opusDescriptor();
  return {
    name: opus.name,
    clockRate: opus.clockRate,
    channels: 1,
    get loaded() {
      return opus.loaded;
    },
    load: () => opus.load(),
    create: (options, fmtp) => {
      const { stereo: _stereo, ...mono } = fmtp;
      return opus.create({ ...options, channels: 1 }, mono);
    },
  };
}

let bridgeRegistry: Promise<CodecRegistry> | undefined;

async function buildRegistry(): Promise<CodecRegistry> {
  const registry = new CodecRegistry();
  for (const descriptor of codecRegistry.list()) registry.register(descriptor);
  registry.register(monoOpus());
  await loadOptionalCodecs(registry);
  return registry;
}

/** The registry of the media sessions (built on first use from the process-wide one). */
export function bridgeCodecs(): Promise<CodecRegistry> {
  bridgeRegistry ??= buildRegistry();
  return bridgeRegistry;
}
