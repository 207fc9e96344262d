/**
 * Event hooks: call and registration events POSTed as JSON to a configured URL, so an
 * application server can follow calls. Failed deliveries are retried with exponential backoff
 * on the injectable clock; each event is delivered in order per call/session key.
 */
import type { Clock } from './clock.js';
import type { Logger } from './log.js';
import type { GatewayMetrics } from './metrics.js';
import { GatewayError } from './errors.js';
import type { CallAuthorizer, CallControlService } from './service.js';

export type HookEventName = 'call.status' | 'session.status' | 'call.incoming';

export interface HookEvent {
  readonly event: HookEventName;
  readonly timestamp: string;
  /** Increases by one per event sent by this gateway process. */
  readonly sequence: number;
  readonly data: unknown;
}

export interface HookOptions {
  readonly url: string;
  readonly token: string | null;
  readonly maxAttempts: number;
  readonly initialDelayMs: number;
  readonly timeoutMs: number;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: GatewayMetrics;
  /** HTTP client; global fetch by default. */
  readonly fetch?: typeof fetch;
}

export class HookDispatcher {
  readonly #options: HookOptions;
  readonly #fetch: typeof fetch;
  readonly #log: Logger;
  #sequence = 0;
  #inFlight = new Set<Promise<void>>();
  readonly #retryWaits = new Set<() => void>();
  #stopped = false;

  constructor(options: HookOptions) {
    this.#options = options;
    this.#fetch = options.fetch ?? fetch;
    this.#log = options.logger.child({ component: 'hooks' });
  }

  /** Subscribes to call control; returns the unsubscribe function. */
  attach(service: CallControlService): () => void {
    const offs = [
      service.on('callStatus', ({ call, sipStatus, sipReason }) =>
        this.send('call.status', {
          call,
          ...(sipStatus === undefined ? {} : { sipStatus, sipReason }),
        }),
      ),
      service.on('incomingCall', ({ call }) => this.send('call.incoming', { call })),
      service.on('sessionStatus', ({ session }) => this.send('session.status', { session })),
    ];
    return () => offs.forEach((off) => off());
  }

  send(event: HookEventName, data: unknown): void {
    if (this.#stopped) return;
    const body: HookEvent = {
      event,
      timestamp: new Date(this.#options.clock.now()).toISOString(),
      sequence: ++this.#sequence,
      data,
    };
    const delivery = this.#deliver(JSON.stringify(body), 1).finally(() =>
      this.#inFlight.delete(delivery),
    );
    this.#inFlight.add(delivery);
  }

  /** Waits for deliveries in progress (including their retries), then stops. */
  async close(): Promise<void> {
    this.#stopped = true;
    for (const wake of [...this.#retryWaits]) wake();
    while (this.#inFlight.size) await Promise.allSettled([...this.#inFlight]);
  }

  async #deliver(body: string, attempt: number): Promise<void> {
    const { url, token, maxAttempts, initialDelayMs, timeoutMs, metrics } = this.#options;
    let failure: string;
    try {
      const response = await this.#fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(token === null ? {} : { authorization: `Bearer ${token}` }),
        },
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
      await response.body?.cancel();
      if (response.ok) {
        metrics.hookDeliveries.inc({ result: 'delivered' });
        return;
      }
      failure = `HTTP ${response.status}`;
      // A 4xx other than 408/429 will not get better by retrying.
      if (
        response.status >= 400 &&
        response.status < 500 &&
        response.status !== 408 &&
        response.status !== 429
      ) {
        attempt = maxAttempts;
      }
    } catch (error) {
      failure = error instanceof Error ? error.message : String(error);
    }
    if (attempt >= maxAttempts || this.#stopped) {
      metrics.hookDeliveries.inc({ result: 'dropped' });
      this.#log.warn('event hook delivery failed', { url, attempt, failure });
      return;
    }
    metrics.hookDeliveries.inc({ result: 'retried' });
    const delay = initialDelayMs * 2 ** (attempt - 1);
    await new Promise<void>((resolve) => {
      const wake = (): void => {
        this.#retryWaits.delete(wake);
        this.#options.clock.clearTimeout(handle);
        resolve();
      };
      const handle = this.#options.clock.setTimeout(wake, delay);
      this.#retryWaits.add(wake);
    });
    if (this.#stopped) {
      metrics.hookDeliveries.inc({ result: 'dropped' });
      return;
    }
    return this.#deliver(body, attempt + 1);
  }
}

export interface AuthorizationHookOptions {
  readonly url: string;
  readonly token: string | null;
  readonly timeoutMs: number;
  readonly logger: Logger;
  readonly fetch?: typeof fetch;
}

/**
 * The authorization hook: before each outbound call the gateway POSTs
 * `{ event: "call.authorize", timestamp, data }` and places the call only on a 2xx answer.
 * It fails closed: an unreachable or slow application refuses the call.
 */
export function createAuthorizationHook(options: AuthorizationHookOptions): CallAuthorizer {
  const send = options.fetch ?? fetch;
  return async (request) => {
    let status: number;
    try {
      const response = await send(options.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(options.token === null ? {} : { authorization: `Bearer ${options.token}` }),
        },
        body: JSON.stringify({
          event: 'call.authorize',
          timestamp: new Date().toISOString(),
          data: request,
        }),
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      await response.body?.cancel();
      status = response.status;
    } catch (error) {
      options.logger.warn('authorization hook unreachable; call refused', {
        url: options.url,
        error,
      });
      throw new GatewayError(
        'HOOK_REJECTED',
        'the call could not be authorized (authorization hook unreachable)',
        {
          cause: error,
        },
      );
    }
    if (status < 200 || status > 299) {
      throw new GatewayError('HOOK_REJECTED', `the application refused the call (HTTP ${status})`, {
        details: { hookStatus: status },
      });
    }
  };
}
