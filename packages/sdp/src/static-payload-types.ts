// RFC 3551 §6 Table 4 and Table 5: payload types with a static meaning, used when an m= line lists
// one without an a=rtpmap (common in plain SIP SDP: `m=audio 4000 RTP/AVP 0 8 18`).

export interface StaticPayloadType {
  readonly name: string;
  readonly clockRate: number;
  readonly channels: number;
}

const TABLE: ReadonlyMap<number, StaticPayloadType> = new Map([
  [0, { name: 'PCMU', clockRate: 8000, channels: 1 }],
  [3, { name: 'GSM', clockRate: 8000, channels: 1 }],
  [4, { name: 'G723', clockRate: 8000, channels: 1 }],
  [5, { name: 'DVI4', clockRate: 8000, channels: 1 }],
  [6, { name: 'DVI4', clockRate: 16000, channels: 1 }],
  [7, { name: 'LPC', clockRate: 8000, channels: 1 }],
  [8, { name: 'PCMA', clockRate: 8000, channels: 1 }],
  [9, { name: 'G722', clockRate: 8000, channels: 1 }],
  [10, { name: 'L16', clockRate: 44100, channels: 2 }],
  [11, { name: 'L16', clockRate: 44100, channels: 1 }],
  [12, { name: 'QCELP', clockRate: 8000, channels: 1 }],
  [13, { name: 'CN', clockRate: 8000, channels: 1 }],
  [14, { name: 'MPA', clockRate: 90000, channels: 1 }],
  [15, { name: 'G728', clockRate: 8000, channels: 1 }],
  [16, { name: 'DVI4', clockRate: 11025, channels: 1 }],
  [17, { name: 'DVI4', clockRate: 22050, channels: 1 }],
  [18, { name: 'G729', clockRate: 8000, channels: 1 }],
  [25, { name: 'CelB', clockRate: 90000, channels: 1 }],
  [26, { name: 'JPEG', clockRate: 90000, channels: 1 }],
  [28, { name: 'nv', clockRate: 90000, channels: 1 }],
  [31, { name: 'H261', clockRate: 90000, channels: 1 }],
  [32, { name: 'MPV', clockRate: 90000, channels: 1 }],
  [33, { name: 'MP2T', clockRate: 90000, channels: 1 }],
  [34, { name: 'H263', clockRate: 90000, channels: 1 }],
]);

/** The RFC 3551 static assignment of a payload type, if it has one. */
export function staticPayloadType(payloadType: number): StaticPayloadType | undefined {
  return TABLE.get(payloadType);
}

/** The static payload type RFC 3551 assigns to this encoding, if any (name compared case-insensitively). */
export function staticPayloadTypeFor(
  name: string,
  clockRate: number,
  channels: number,
): number | undefined {
  const lower = name.toLowerCase();
  for (const [pt, entry] of TABLE) {
    if (
      entry.name.toLowerCase() === lower &&
      entry.clockRate === clockRate &&
      entry.channels === channels
    )
      return pt;
  }
  return undefined;
}

/** RFC 3551 §3: 96..127 is the dynamic range. */
export const DYNAMIC_PAYLOAD_TYPES = { first: 96, last: 127 } as const;
