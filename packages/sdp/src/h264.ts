// H.264 profile-level-id handling for offer/answer (RFC 6184 §8.1 and §8.2.2).
import { formatFmtp, parseFmtp } from './fmtp.js';

export type H264Profile =
  | 'constrained-baseline'
  | 'baseline'
  | 'main'
  | 'extended'
  | 'high'
  | 'constrained-high'
  | 'high-10'
  | 'high-422'
  | 'high-444';

/** A parsed profile-level-id: the profile, and the level as level_idc (level 1b is `'1b'`). */
export interface H264ProfileLevel {
  readonly profile: H264Profile;
  readonly level: number | '1b';
  /** profile_idc and profile-iop bytes as offered, kept so an answer names the same profile. */
  readonly profileIdc: number;
  readonly profileIop: number;
}

// RFC 6184 §8.1: when profile-level-id is absent, Baseline profile at level 1 (42000A) applies.
const DEFAULT_PROFILE_LEVEL_ID = '42000a';

const SET0 = 0x80;
const SET1 = 0x40;
const SET3 = 0x10;
const SET4 = 0x08;
const SET5 = 0x04;

function profileOf(idc: number, iop: number): H264Profile | undefined {
  // H.264 Annex A.2: constraint flags narrow a profile to the subset a decoder must support.
  switch (idc) {
    case 0x42:
      return iop & SET1 ? 'constrained-baseline' : 'baseline';
    case 0x4d:
      return iop & SET0 ? 'constrained-baseline' : 'main';
    case 0x58:
      if (iop & SET0) return iop & SET1 ? 'constrained-baseline' : 'baseline';
      return 'extended';
    case 0x64:
      return (iop & SET4) !== 0 && (iop & SET5) !== 0 ? 'constrained-high' : 'high';
    case 0x6e:
      return 'high-10';
    case 0x7a:
      return 'high-422';
    case 0xf4:
      return 'high-444';
    default:
      return undefined;
  }
}

/** level_idc values H.264 Table A-1 defines (9 is level 1b in the High profiles). */
const LEVELS = new Set([9, 10, 11, 12, 13, 20, 21, 22, 30, 31, 32, 40, 41, 42, 50, 51, 52]);

/** Parses a profile-level-id hex string; undefined when it is not one. */
export function parseProfileLevelId(value: string): H264ProfileLevel | undefined {
  if (!/^[0-9a-fA-F]{6}$/.test(value)) return undefined;
  const idc = parseInt(value.slice(0, 2), 16);
  const iop = parseInt(value.slice(2, 4), 16);
  const levelIdc = parseInt(value.slice(4, 6), 16);
  const profile = profileOf(idc, iop);
  if (!profile || !LEVELS.has(levelIdc)) return undefined;
  // RFC 6184 §8.1: level 1b is level_idc 11 with constraint_set3 in Baseline/Main/Extended,
  // and level_idc 9 elsewhere.
  const isBaselineFamily = idc === 0x42 || idc === 0x4d || idc === 0x58;
  const level =
    levelIdc === 9 || (isBaselineFamily && levelIdc === 11 && iop & SET3) ? '1b' : levelIdc;
  return { profile, level, profileIdc: idc, profileIop: iop };
}

/** Orders levels (1b sits between 1 and 1.1). */
function levelRank(level: number | '1b'): number {
  return level === '1b' ? 10.5 : level;
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}

/** Writes a profile-level-id with the given level for the profile of `base`. */
export function formatProfileLevelId(base: H264ProfileLevel, level: number | '1b'): string {
  const isBaselineFamily =
    base.profileIdc === 0x42 || base.profileIdc === 0x4d || base.profileIdc === 0x58;
  let iop = base.profileIop;
  let levelIdc: number;
  if (level === '1b') {
    if (isBaselineFamily) {
      iop |= SET3;
      levelIdc = 11;
    } else levelIdc = 9;
  } else {
    if (isBaselineFamily) iop &= ~SET3;
    levelIdc = level;
  }
  return `${hex2(base.profileIdc)}${hex2(iop)}${hex2(levelIdc)}`;
}

function profileLevelOf(params: ReadonlyMap<string, string>): H264ProfileLevel | undefined {
  return parseProfileLevelId(params.get('profile-level-id') ?? DEFAULT_PROFILE_LEVEL_ID);
}

/** RFC 6184 §8.1: packetization-mode defaults to 0. */
function packetizationMode(params: ReadonlyMap<string, string>): string {
  return params.get('packetization-mode') ?? '0';
}

/**
 * Whether an offered H.264 format can be answered with a local one (same profile, same
 * packetization-mode) and, if so, the fmtp for the answer (RFC 6184 §8.2.2): without
 * level-asymmetry-allowed on both sides the answer's level is the lower of the two; with it,
 * the answer states the level the answerer can receive.
 */
export function answerH264(
  offeredFmtp: string | undefined,
  localFmtp: string | undefined,
): string | undefined {
  const offered = parseFmtp(offeredFmtp);
  const local = parseFmtp(localFmtp);
  if (packetizationMode(offered) !== packetizationMode(local)) return undefined;
  const remoteLevel = profileLevelOf(offered);
  const localLevel = profileLevelOf(local);
  if (!remoteLevel || !localLevel || remoteLevel.profile !== localLevel.profile) return undefined;
  const asymmetry =
    offered.get('level-asymmetry-allowed') === '1' && local.get('level-asymmetry-allowed') === '1';
  const level =
    asymmetry || levelRank(localLevel.level) <= levelRank(remoteLevel.level)
      ? localLevel.level
      : remoteLevel.level;
  const answer = new Map(local);
  answer.set('profile-level-id', formatProfileLevelId(remoteLevel, level));
  answer.set('packetization-mode', packetizationMode(offered));
  if (!asymmetry) answer.delete('level-asymmetry-allowed');
  return formatFmtp(answer);
}

/** Whether two H.264 formats describe the same stream type (profile and packetization-mode). */
export function sameH264Format(a: string | undefined, b: string | undefined): boolean {
  const pa = parseFmtp(a);
  const pb = parseFmtp(b);
  if (packetizationMode(pa) !== packetizationMode(pb)) return false;
  const la = profileLevelOf(pa);
  const lb = profileLevelOf(pb);
  return la !== undefined && lb !== undefined && la.profile === lb.profile;
}
