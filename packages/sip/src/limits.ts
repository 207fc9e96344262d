/**
 * Limits against abuse. Exceeding one raises a `SipParseError` whose `limit` (and message) names
 * the field below, whose `offset` is the first byte beyond the limit, and whose `response` is
 * `513 Message Too Large` (RFC 3261 §21.5.14) for the whole message or `400 Bad Request` naming
 * the limit otherwise.
 */
export interface ParseLimits {
  /** Largest message (start line, headers and body) in bytes. Default 65536. */
  readonly maxMessageSize: number;
  /** Most header lines (a folded header counts once). Default 256. */
  readonly maxHeaders: number;
  /** Longest header line in bytes, folding included. Default 16384. */
  readonly maxHeaderLineLength: number;
  /** Longest start line in bytes. Default 16384. */
  readonly maxStartLineLength: number;
}

export const DEFAULT_LIMITS: ParseLimits = Object.freeze({
  maxMessageSize: 65536,
  maxHeaders: 256,
  maxHeaderLineLength: 16384,
  maxStartLineLength: 16384,
});

/** Fills unset fields of `limits` with the defaults. */
export function resolveLimits(limits?: Partial<ParseLimits>): ParseLimits {
  if (limits === undefined) return DEFAULT_LIMITS;
  return {
    maxMessageSize: limits.maxMessageSize ?? DEFAULT_LIMITS.maxMessageSize,
    maxHeaders: limits.maxHeaders ?? DEFAULT_LIMITS.maxHeaders,
    maxHeaderLineLength: limits.maxHeaderLineLength ?? DEFAULT_LIMITS.maxHeaderLineLength,
    maxStartLineLength: limits.maxStartLineLength ?? DEFAULT_LIMITS.maxStartLineLength,
  };
}

/**
 * The bytes `limit` allows, as a byte count: its whole part, 0 for a negative limit. A limit
 * error's offset (the first byte beyond the limit) is built on it.
 */
export function bytesWithin(limit: number): number {
  return Math.max(0, Math.floor(limit));
}
