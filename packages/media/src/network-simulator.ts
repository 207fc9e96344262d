import { MediaError } from './errors.js';
import { SeededRandom } from './random.js';

/** How packets get lost. Gilbert–Elliott gives the bursty loss of congested links and Wi-Fi. */
export type LossModel =
  | { readonly kind: 'none' }
  | { readonly kind: 'random'; readonly rate: number }
  | {
      readonly kind: 'gilbert-elliott';
      /** Probability per packet of moving from the good to the bad state. */
      readonly goodToBad: number;
      /** Probability per packet of moving from the bad back to the good state. */
      readonly badToGood: number;
      /** Loss probability while good (default 0). */
      readonly lossInGood?: number;
      /** Loss probability while bad (default 1). */
      readonly lossInBad?: number;
    };

/** Extra one-way delay added to each packet on top of the base delay. */
export type JitterModel =
  | { readonly kind: 'none' }
  | { readonly kind: 'uniform'; readonly maxMs: number }
  /** |N(0, σ)|, optionally AR(1)-correlated from packet to packet (0 ≤ correlation < 1). */
  | { readonly kind: 'normal'; readonly stdDevMs: number; readonly correlation?: number }
  | { readonly kind: 'exponential'; readonly meanMs: number }
  /** Heavy-tailed: Pareto with scale `scaleMs` and shape `shape`, minus the scale. */
  | { readonly kind: 'pareto'; readonly scaleMs: number; readonly shape: number };

/** A discontinuity in the sender's stream, as after a re-INVITE, a transfer or a restart. */
export interface StreamRestart {
  /** Index of the first packet sent after the restart. */
  readonly atPacket: number;
  readonly newSsrc?: number;
  /** Added to every later timestamp (modulo 2^32). */
  readonly timestampJump?: number;
  /** Added to every later sequence number (modulo 2^16). */
  readonly sequenceJump?: number;
}

export interface NetworkProfile {
  readonly seed: number;
  readonly packetCount: number;
  /** Packetization interval (ptime) in ms. */
  readonly packetIntervalMs: number;
  /** RTP clock rate of the stream. */
  readonly clockRate: number;
  /** Fixed one-way delay (default 20 ms). */
  readonly baseDelayMs?: number;
  readonly jitter?: JitterModel;
  readonly loss?: LossModel;
  /** Probability that a packet is held back by `reorderDelayMs` extra (default 0). */
  readonly reorderProbability?: number;
  /** Extra delay of a reordered packet (default two packet intervals). */
  readonly reorderDelayMs?: number;
  /** Probability that a packet arrives twice (default 0). */
  readonly duplicateProbability?: number;
  /** Extra delay of the duplicate copy (default 5 ms). */
  readonly duplicateDelayMs?: number;
  /**
   * Sender clock error in parts per million: positive means the sender's sampling clock runs fast,
   * so packets are sent (and arrive) more often than the receiver's clock expects.
   */
  readonly clockSkewPpm?: number;
  /** Queueing spikes: with this probability per packet a delay of `heightMs` starts and drains linearly over `durationMs`. */
  readonly delaySpikes?: {
    readonly probability: number;
    readonly heightMs: number;
    readonly durationMs: number;
  };
  /** Silence suppression (DTX): exponential talk and silence periods; nothing is sent in silence. */
  readonly talkspurts?: { readonly meanTalkMs: number; readonly meanSilenceMs: number };
  readonly restarts?: readonly StreamRestart[];
  readonly ssrc?: number;
  readonly firstSequenceNumber?: number;
  readonly firstTimestamp?: number;
}

/** One packet as it reaches the receiver. */
export interface SimulatedPacket {
  /** Position in the sender's sequence (0-based), the same for a duplicate. */
  readonly index: number;
  readonly ssrc: number;
  readonly sequenceNumber: number;
  readonly timestamp: number;
  /** Samples of audio the packet carries. */
  readonly samples: number;
  /** First packet of a talkspurt (RFC 3551 §4.1). */
  readonly marker: boolean;
  /** Send time in the receiver's clock, ms. */
  readonly sendTime: number;
  /** Arrival time in the receiver's clock, ms. */
  readonly arrivalTime: number;
  readonly duplicate: boolean;
}

export interface ArrivalTrace {
  readonly profile: NetworkProfile;
  /** Packets the sender sent (silence-suppressed intervals are not sent). */
  readonly sent: number;
  /** Packets the network dropped. */
  readonly lost: number;
  /** Every packet that arrives, duplicates included, in arrival order. */
  readonly arrivals: readonly SimulatedPacket[];
}

function checkProbability(name: string, p: number | undefined): void {
  if (p !== undefined && !(p >= 0 && p <= 1)) {
    throw new MediaError('INVALID_ARGUMENT', `${name} must be a probability in [0, 1], got ${p}`);
  }
}

/**
 * Produces the arrival trace of one RTP stream over a simulated network. The same profile
 * (seed included) always yields the same trace, so a jitter buffer and its baseline can be
 * compared on exactly the same arrivals.
 */
export function simulateNetwork(profile: NetworkProfile): ArrivalTrace {
  const {
    seed,
    packetCount,
    packetIntervalMs,
    clockRate,
    baseDelayMs = 20,
    jitter = { kind: 'none' },
    loss = { kind: 'none' },
    reorderProbability = 0,
    reorderDelayMs = packetIntervalMs * 2,
    duplicateProbability = 0,
    duplicateDelayMs = 5,
    clockSkewPpm = 0,
  } = profile;
  if (!Number.isInteger(packetCount) || packetCount < 0) {
    throw new MediaError('INVALID_ARGUMENT', `packetCount must be a non-negative integer`);
  }
  if (!(packetIntervalMs > 0) || !(clockRate > 0)) {
    throw new MediaError('INVALID_ARGUMENT', 'packetIntervalMs and clockRate must be positive');
  }
  checkProbability('reorderProbability', reorderProbability);
  checkProbability('duplicateProbability', duplicateProbability);
  if (loss.kind === 'random') checkProbability('loss.rate', loss.rate);
  if (loss.kind === 'gilbert-elliott') {
    checkProbability('loss.goodToBad', loss.goodToBad);
    checkProbability('loss.badToGood', loss.badToGood);
    checkProbability('loss.lossInGood', loss.lossInGood);
    checkProbability('loss.lossInBad', loss.lossInBad);
  }

  const rng = new SeededRandom(seed);
  const samples = Math.round((packetIntervalMs * clockRate) / 1000);
  const senderPeriod = packetIntervalMs / (1 + clockSkewPpm * 1e-6);
  const restarts = [...(profile.restarts ?? [])].sort((a, b) => a.atPacket - b.atPacket);

  let ssrc = profile.ssrc ?? rng.nextUint32();
  let sequence = profile.firstSequenceNumber ?? rng.nextUint32() & 0xffff;
  let timestamp = profile.firstTimestamp ?? rng.nextUint32();
  let badState = false;
  let correlatedJitter = 0;
  let spikeStart = -Infinity;
  let talking = true;
  let periodEnds = profile.talkspurts ? rng.exponential(profile.talkspurts.meanTalkMs) : Infinity;
  let firstOfSpurt = true;
  let restartIndex = 0;
  let sent = 0;
  let lost = 0;
  const arrivals: SimulatedPacket[] = [];

  for (let index = 0; index < packetCount; index++) {
    const sendTime = index * senderPeriod;
    while (restarts[restartIndex] !== undefined && restarts[restartIndex]!.atPacket <= index) {
      const restart = restarts[restartIndex++]!;
      if (restart.newSsrc !== undefined) ssrc = restart.newSsrc >>> 0;
      timestamp = (timestamp + (restart.timestampJump ?? 0)) >>> 0;
      sequence = (sequence + (restart.sequenceJump ?? 0)) & 0xffff;
      firstOfSpurt = true;
    }
    const packetTimestamp = timestamp;
    timestamp = (timestamp + samples) >>> 0;

    if (profile.talkspurts) {
      while (sendTime >= periodEnds) {
        talking = !talking;
        periodEnds += rng.exponential(
          talking ? profile.talkspurts.meanTalkMs : profile.talkspurts.meanSilenceMs,
        );
        if (talking) firstOfSpurt = true;
      }
      if (!talking) continue;
    }

    const packetSequence = sequence;
    sequence = (sequence + 1) & 0xffff;
    const marker = firstOfSpurt;
    firstOfSpurt = false;
    sent++;

    // Loss: draw the state transition first, then the loss in the new state.
    let dropped = false;
    if (loss.kind === 'random') {
      dropped = rng.chance(loss.rate);
    } else if (loss.kind === 'gilbert-elliott') {
      badState = badState ? !rng.chance(loss.badToGood) : rng.chance(loss.goodToBad);
      dropped = rng.chance(badState ? (loss.lossInBad ?? 1) : (loss.lossInGood ?? 0));
    }
    // Draw jitter even for lost packets so a profile's loss does not reshuffle its jitter.
    let delay = baseDelayMs + drawJitter(rng, jitter, correlatedJitter);
    if (jitter.kind === 'normal') correlatedJitter = delay - baseDelayMs;
    if (profile.delaySpikes) {
      if (sendTime - spikeStart >= profile.delaySpikes.durationMs) {
        if (rng.chance(profile.delaySpikes.probability)) spikeStart = sendTime;
      }
      const into = sendTime - spikeStart;
      if (into < profile.delaySpikes.durationMs) {
        delay += profile.delaySpikes.heightMs * (1 - into / profile.delaySpikes.durationMs);
      }
    }
    if (rng.chance(reorderProbability)) delay += reorderDelayMs;
    const duplicated = rng.chance(duplicateProbability);
    if (dropped) {
      lost++;
      continue;
    }
    const packet: SimulatedPacket = {
      index,
      ssrc,
      sequenceNumber: packetSequence,
      timestamp: packetTimestamp,
      samples,
      marker,
      sendTime,
      arrivalTime: sendTime + delay,
      duplicate: false,
    };
    arrivals.push(packet);
    if (duplicated) {
      arrivals.push({
        ...packet,
        arrivalTime: packet.arrivalTime + duplicateDelayMs,
        duplicate: true,
      });
    }
  }
  // Stable sort keeps send order for equal arrival times.
  arrivals.sort((a, b) => a.arrivalTime - b.arrivalTime);
  return { profile, sent, lost, arrivals };
}

function drawJitter(rng: SeededRandom, model: JitterModel, previous: number): number {
  switch (model.kind) {
    case 'none':
      return 0;
    case 'uniform':
      return rng.uniform(0, model.maxMs);
    case 'normal': {
      const rho = model.correlation ?? 0;
      const fresh = Math.abs(rng.normal(0, model.stdDevMs));
      return rho * previous + Math.sqrt(1 - rho * rho) * fresh;
    }
    case 'exponential':
      return rng.exponential(model.meanMs);
    case 'pareto':
      return rng.pareto(model.scaleMs, model.shape) - model.scaleMs;
  }
}
