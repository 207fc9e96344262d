// RFC 3261 §17.1.1.1 and Table 4 (§A): timer values of the transaction layer.

export interface TransactionTimers {
  /** RTT estimate. Default 500 ms. */
  readonly t1: number;
  /** Maximum retransmit interval for non-INVITE requests and INVITE responses. Default 4 s. */
  readonly t2: number;
  /** Maximum duration a message remains in the network. Default 5 s. */
  readonly t4: number;
}

export const DEFAULT_TIMERS: TransactionTimers = Object.freeze({ t1: 500, t2: 4000, t4: 5000 });

export function resolveTimers(timers?: Partial<TransactionTimers>): TransactionTimers {
  if (timers === undefined) return DEFAULT_TIMERS;
  return {
    t1: timers.t1 ?? DEFAULT_TIMERS.t1,
    t2: timers.t2 ?? DEFAULT_TIMERS.t2,
    t4: timers.t4 ?? DEFAULT_TIMERS.t4,
  };
}

/** Names of the transaction timers, as RFC 3261 and RFC 6026 call them. */
export type TimerName =
  'A' | 'B' | 'D' | 'E' | 'F' | 'G' | 'H' | 'I' | 'J' | 'K' | 'L' | 'M' | 'Trying';
