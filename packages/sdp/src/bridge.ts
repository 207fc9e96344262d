// The B2BUA bridge: an offer that arrives on one leg becomes the gateway's own offer on the other
// leg, and the answer from that leg becomes the gateway's answer on the first. Each leg keeps its
// own payload type numbering; a media section is relayed when both legs settle on the same codec
// and transcoded when they cannot.
import { answerFormat, codecRole, commonFeedback, type CodecCapability } from './codecs.js';
import { answerDirection, effectiveDirection } from './direction.js';
import type { BridgedKind, CodecsByKind, LocalEndpoint } from './endpoint.js';
import { SdpError, type SdpErrorCode } from './errors.js';
import type { MediaDirection, RtpCodec, SessionDescription } from './model.js';
import { isActive, type NegotiatedMedia } from './negotiation.js';
import {
  associatedFormats,
  buildAnswer,
  carries,
  createOffer,
  formatFromCapability,
  negotiateCodecs,
  noMediaMessage,
  payloadTypeAllocator,
  processAnswer,
  transportProblem,
  type MediaAnswerPlan,
  type OfferMedia,
} from './offer-answer.js';
import { staticPayloadTypeFor } from './static-payload-types.js';

/** One leg as the gateway sees it: its own transport, its codecs, what it last sent there. */
export interface BridgeLeg {
  readonly endpoint: LocalEndpoint;
  readonly codecs: CodecsByKind;
  /** The description the gateway last sent on this leg (re-INVITE): origin and positions are kept. */
  readonly previous?: SessionDescription;
}

export interface BridgeOptions {
  /** The leg the offer arrived on. */
  readonly incoming: BridgeLeg;
  /** The leg the gateway offers on. */
  readonly outgoing: BridgeLeg;
  /**
   * Also offer codecs only the gateway's transcoder connects to the incoming leg (capabilities
   * without `relayOnly` on both legs). Default true; false offers only codecs both ends share.
   */
  readonly transcoding?: boolean;
  /** List the codecs both ends share first, so the far end picks relay when it can. Default true. */
  readonly preferRelay?: boolean;
  /** o= username and s= of the gateway's descriptions. */
  readonly username?: string;
  readonly sessionName?: string;
}

/** The gateway's offer on the outgoing leg, with what is needed to answer the incoming one. */
export interface BridgeOffer {
  readonly incomingOffer: SessionDescription;
  readonly outgoingOffer: SessionDescription;
  /** Per incoming m= section: the outgoing m= section it was forwarded to, if any. */
  readonly forwardedTo: readonly (number | undefined)[];
  /** Per outgoing m= section: outgoing payload type → incoming payload type of the same codec. */
  readonly relayPartners: readonly ReadonlyMap<number, number>[];
  readonly options: BridgeOptions;
}

export type BridgeMode = 'relay' | 'transcode' | 'rejected';

/** One incoming m= section after both legs negotiated. */
export interface BridgedStream {
  readonly kind: string;
  /** relay: both legs use the same codec; transcode: they use different ones; rejected: port 0. */
  readonly mode: BridgeMode;
  readonly incoming: NegotiatedMedia;
  readonly outgoing?: NegotiatedMedia;
}

export interface BridgeAnswer {
  /** The gateway's answer on the incoming leg. */
  readonly incomingAnswer: SessionDescription;
  /** One entry per incoming m= section, in order. */
  readonly streams: readonly BridgedStream[];
}

const isBridgedKind = (kind: string): kind is BridgedKind => kind === 'audio' || kind === 'video';

/** Which capability of a list a format matches, if any. */
function matchingCapability(
  codec: RtpCodec,
  capabilities: readonly CodecCapability[],
): CodecCapability | undefined {
  return capabilities.find((c) => answerFormat(codec, c) !== undefined);
}

/** The slot of each forwarded section in the outgoing offer, keeping earlier positions by kind. */
function outgoingSlots(
  kinds: readonly BridgedKind[],
  previous: SessionDescription | undefined,
): { slots: number[]; length: number } {
  const taken = new Set<number>();
  const earlier = previous?.media ?? [];
  let next = earlier.length;
  const slots = kinds.map((kind) => {
    const slot = earlier.findIndex((m, i) => !taken.has(i) && m.kind === kind);
    const chosen = slot >= 0 ? slot : next++;
    taken.add(chosen);
    return chosen;
  });
  return { slots, length: Math.max(next, earlier.length) };
}

/**
 * Turns an offer received on one leg into the gateway's offer on the other (RFC 3264 §5 for the
 * new offer). Per audio/video section: the codecs both legs allow that the incoming side offered
 * (relay candidates, with the incoming format parameters since the real receiver is behind the
 * gateway), then, if transcoding is on, the outgoing leg's other codecs; telephone-event and CN at
 * each chosen clock rate; the incoming direction mirrored (a hold passes through). Sections that
 * cannot be bridged are not forwarded and will be rejected in the answer. Throws SdpError (488)
 * when nothing can be bridged.
 */
export function bridgeOffer(offer: SessionDescription, options: BridgeOptions): BridgeOffer {
  const { incoming, outgoing } = options;
  const transcoding = options.transcoding ?? true;
  const problems: SdpErrorCode[] = [];
  const forwarded: {
    index: number;
    kind: BridgedKind;
    codecs: RtpCodec[];
    partners: Map<number, number>;
    direction: MediaDirection;
  }[] = [];

  offer.media.forEach((section, index) => {
    if (!isActive(offer, section) || !isBridgedKind(section.kind)) return;
    const incomingCaps = incoming.codecs[section.kind];
    const outgoingCaps = outgoing.codecs[section.kind];
    if (!incomingCaps || !outgoingCaps) return;
    if (!carries(incoming.endpoint, section.kind) || !carries(outgoing.endpoint, section.kind))
      return;
    const problem = transportProblem(offer, section, incoming.endpoint);
    if (problem) {
      problems.push(problem);
      return;
    }
    const offeredMedia = section.codecs.filter((c) => codecRole(c.name) === 'media');
    const acceptableIncoming = offeredMedia.filter((c) => matchingCapability(c, incomingCaps));
    const transcodableIncoming = acceptableIncoming.some(
      (c) => matchingCapability(c, incomingCaps)?.relayOnly !== true,
    );

    const relay: { capability: CodecCapability; offered: RtpCodec }[] = [];
    const transcode: CodecCapability[] = [];
    for (const capability of outgoingCaps) {
      if (codecRole(capability.name) !== 'media') continue;
      const partner = acceptableIncoming.find(
        (c) => answerFormat(c, capability) !== undefined && !relay.some((r) => r.offered === c),
      );
      if (partner) relay.push({ capability, offered: partner });
      else if (transcoding && capability.relayOnly !== true && transcodableIncoming)
        transcode.push(capability);
    }
    // Relayed codecs keep the incoming payload types where possible: fewer rewrites.
    const take = payloadTypeAllocator();
    const partners = new Map<number, number>();
    const relayFormats = relay.map(({ capability, offered }) => {
      const pt = take(offered.payloadType);
      partners.set(pt, offered.payloadType);
      return {
        payloadType: pt,
        name: offered.name,
        clockRate: offered.clockRate,
        channels: offered.channels,
        ...(offered.fmtp === undefined ? {} : { fmtp: offered.fmtp }),
        rtcpFeedback: commonFeedback(offered.rtcpFeedback, capability.rtcpFeedback),
      } satisfies RtpCodec;
    });
    const staticOrOwn = (c: CodecCapability): number | undefined => {
      const fixed = staticPayloadTypeFor(c.name, c.clockRate, c.channels ?? 1);
      if (fixed !== undefined) return fixed;
      return c.payloadType;
    };
    const transcodeFormats = transcode.map((c) => formatFromCapability(c, take(staticOrOwn(c))));
    const media =
      options.preferRelay === false
        ? orderByCapabilities([...relayFormats, ...transcodeFormats], outgoingCaps)
        : [...relayFormats, ...transcodeFormats];
    if (media.length === 0) {
      problems.push('SDP_NO_COMMON_CODECS');
      return;
    }
    // Associated formats reuse the incoming payload type of the same format (DTMF relays as is).
    const preferred = (c: CodecCapability): number | undefined =>
      section.codecs.find((o) => codecRole(o.name) !== 'media' && answerFormat(o, c) !== undefined)
        ?.payloadType;
    const codecs = [...media, ...associatedFormats(media, outgoingCaps, take, preferred)];
    forwarded.push({
      index,
      kind: section.kind,
      codecs,
      partners,
      direction: effectiveDirection(section),
    });
  });

  if (forwarded.length === 0) {
    const code =
      problems.find((p) => p !== 'SDP_NO_COMMON_CODECS') ??
      (problems.length > 0 ? 'SDP_NO_COMMON_CODECS' : 'SDP_NO_USABLE_MEDIA');
    throw new SdpError(code, noMediaMessage(code));
  }

  const { slots, length } = outgoingSlots(
    forwarded.map((f) => f.kind),
    outgoing.previous,
  );
  const media: OfferMedia[] = [];
  const relayPartners: Map<number, number>[] = [];
  for (let slot = 0; slot < length; slot++) {
    const at = slots.indexOf(slot);
    const f = forwarded[at];
    const earlierKind = outgoing.previous?.media[slot]?.kind;
    if (!f) {
      media.push({ kind: earlierKind === 'video' ? 'video' : 'audio', codecs: [], disabled: true });
      relayPartners.push(new Map());
      continue;
    }
    media.push({ kind: f.kind, codecs: f.codecs, direction: f.direction });
    relayPartners.push(f.partners);
  }
  const outgoingOffer = createOffer(outgoing.endpoint, {
    media,
    ...(outgoing.previous ? { previous: outgoing.previous } : {}),
    ...(options.username === undefined ? {} : { username: options.username }),
    ...(options.sessionName === undefined ? {} : { sessionName: options.sessionName }),
  });
  const forwardedTo = offer.media.map((_, index) => {
    const at = forwarded.findIndex((f) => f.index === index);
    return at < 0 ? undefined : slots[at];
  });
  return { incomingOffer: offer, outgoingOffer, forwardedTo, relayPartners, options };
}

function orderByCapabilities(
  formats: RtpCodec[],
  capabilities: readonly CodecCapability[],
): RtpCodec[] {
  const rank = (f: RtpCodec): number => {
    const i = capabilities.findIndex(
      (c) => c.name.toLowerCase() === f.name.toLowerCase() && c.clockRate === f.clockRate,
    );
    return i < 0 ? capabilities.length : i;
  };
  return formats
    .map((f, i) => ({ f, i }))
    .sort((a, b) => rank(a.f) - rank(b.f) || a.i - b.i)
    .map(({ f }) => f);
}

/**
 * Turns the answer from the outgoing leg into the gateway's answer on the incoming leg. Per
 * forwarded section: if the far end chose a codec the incoming side offered, the incoming answer
 * names that codec with the incoming payload type and the far end's format parameters (relay);
 * otherwise it names the incoming side's best codec the gateway can transcode (transcode). One
 * media codec is answered per section so that each sender is pinned. The direction is the far
 * end's, limited to what the incoming offer allows. Throws SDP_ANSWER_MISMATCH when the answer
 * does not fit the gateway's offer.
 */
export function bridgeAnswer(bridge: BridgeOffer, answer: SessionDescription): BridgeAnswer {
  const { incoming } = bridge.options;
  const offer = bridge.incomingOffer;
  const outgoingMedia = processAnswer(bridge.outgoingOffer, answer);
  const modes: BridgeMode[] = [];
  const plans = offer.media.map((section, index): MediaAnswerPlan | undefined => {
    modes[index] = 'rejected';
    const slot = bridge.forwardedTo[index];
    if (slot === undefined || !isBridgedKind(section.kind)) return undefined;
    const far = outgoingMedia[slot];
    const farCodec = far?.codec;
    const capabilities = incoming.codecs[section.kind];
    if (!far?.accepted || !farCodec || !capabilities) return undefined;

    const partnerType = bridge.relayPartners[slot]?.get(farCodec.receivePayloadType);
    const partner = section.codecs.find((c) => c.payloadType === partnerType);
    const partnerCapability = partner && matchingCapability(partner, capabilities);
    let primary: RtpCodec | undefined;
    if (partner && partnerCapability) {
      modes[index] = 'relay';
      primary = {
        payloadType: partner.payloadType,
        name: partner.name,
        clockRate: partner.clockRate,
        channels: partner.channels,
        // The real receiver is the far end: its parameters are what the incoming side may send.
        ...(farCodec.remoteFmtp === undefined ? {} : { fmtp: farCodec.remoteFmtp }),
        rtcpFeedback: commonFeedback(partner.rtcpFeedback, partnerCapability.rtcpFeedback),
      };
    } else {
      const transcodable = capabilities.filter(
        (c) => codecRole(c.name) !== 'media' || c.relayOnly !== true,
      );
      primary = negotiateCodecs(section.codecs, transcodable, { singleCodec: true })[0];
      if (!primary) return undefined;
      modes[index] = 'transcode';
    }
    const farHas = (role: string): boolean => far.codecs.some((c) => codecRole(c.name) === role);
    // The formats that travel with the chosen codec, negotiated as if it were the only one offered.
    const offeredPrimary = section.codecs.find((c) => c.payloadType === primary.payloadType)!;
    const associated = negotiateCodecs(
      [offeredPrimary, ...section.codecs.filter((c) => codecRole(c.name) !== 'media')],
      capabilities,
    )
      .slice(1)
      .filter((c) => {
        const role = codecRole(c.name);
        if (role === 'dtmf' || role === 'retransmission') return true;
        // CN, red and FEC pass through untouched when relaying, so the far end must have them too.
        return modes[index] === 'transcode' || farHas(role);
      });
    // What the far end does is what the gateway does toward the incoming side.
    const farDirection = effectiveDirection(answer.media[slot]!);
    return {
      codecs: [primary, ...associated],
      direction: answerDirection(effectiveDirection(section), farDirection),
    };
  });
  if (!plans.some((p) => p !== undefined))
    throw new SdpError(
      'SDP_NO_COMMON_CODECS',
      'the far end accepted no stream the incoming leg can take',
    );
  const result = buildAnswer(offer, incoming.endpoint, plans, {
    ...(incoming.previous ? { previous: incoming.previous } : {}),
    ...(bridge.options.username === undefined ? {} : { username: bridge.options.username }),
    ...(bridge.options.sessionName === undefined
      ? {}
      : { sessionName: bridge.options.sessionName }),
  });
  const streams = offer.media.map((section, index): BridgedStream => {
    const slot = bridge.forwardedTo[index];
    const mode = result.media[index]!.accepted ? (modes[index] ?? 'rejected') : 'rejected';
    const stream = { kind: section.kind, mode, incoming: result.media[index]! };
    const far = slot === undefined ? undefined : outgoingMedia[slot];
    return far ? { ...stream, outgoing: far } : stream;
  });
  return { incomingAnswer: result.description, streams };
}
