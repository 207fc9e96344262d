import { describe, expect, it } from 'vitest';
import {
  GatewayMetrics,
  HookDispatcher,
  RateLimiter,
  createJsonLogger,
  silentLogger,
} from '@callbridge/gateway';
import { ManualClock } from '@callbridge/testkit';

const flush = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
};

describe('metrics', () => {
  it('renders Prometheus text with labels escaped and histograms cumulative', () => {
    const m = new GatewayMetrics();
    m.errors.inc({ code: 'CALL_NOT_FOUND' });
    m.errors.inc({ code: 'CALL_NOT_FOUND' });
    m.rtpPackets.inc({ leg: 'sip', direction: 'in' }, 50);
    m.srtpFailures.inc({ kind: 'auth "tag"\n' });
    m.jitterMs.observe(4);
    m.jitterMs.observe(40);
    const text = m.render();
    expect(text).toContain('callbridge_errors_total{code="CALL_NOT_FOUND"} 2');
    expect(text).toContain('callbridge_rtp_packets_total{leg="sip",direction="in"} 50');
    expect(text).toContain('callbridge_srtp_failures_total{kind="auth \\"tag\\"\\n"} 1');
    expect(text).toContain('callbridge_jitter_ms_bucket{le="5"} 1');
    expect(text).toContain('callbridge_jitter_ms_bucket{le="50"} 2');
    expect(text).toContain('callbridge_jitter_ms_bucket{le="+Inf"} 2');
    expect(text).toContain('callbridge_jitter_ms_sum 44');
    expect(() => m.errors.inc({ nope: 'x' })).toThrow(RangeError);
    expect(() => m.errors.inc({ code: 'X' }, -1)).toThrow(RangeError);
  });
});

describe('logs', () => {
  it('writes JSON lines at or above the level and never writes secrets', () => {
    const lines: string[] = [];
    const log = createJsonLogger({
      level: 'info',
      write: (l) => lines.push(l),
      now: () => 0,
    }).child({ sessionId: 's1' });
    log.debug('hidden');
    log.info('login', {
      account: { login: 'alice', password: 'p4ss' },
      headers: { Authorization: 'Bearer abc' },
      resumeToken: 't0k',
    });
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(entry).toMatchObject({
      level: 'info',
      msg: 'login',
      sessionId: 's1',
      time: '1970-01-01T00:00:00.000Z',
    });
    expect(lines[0]).not.toMatch(/p4ss|Bearer abc|t0k/);
  });
});

describe('rate limiter', () => {
  it('allows a burst per source, then refills with time', () => {
    const clock = new ManualClock(1_700_000_000_000);
    const limiter = new RateLimiter(3, clock);
    expect([1, 2, 3, 4].map(() => limiter.allow('10.0.0.1'))).toEqual([true, true, true, false]);
    expect(limiter.allow('10.0.0.2')).toBe(true);
    clock.advance(20_000);
    expect(limiter.allow('10.0.0.1')).toBe(true);
    expect(limiter.allow('10.0.0.1')).toBe(false);
  });
});

describe('event hooks', () => {
  it('POSTs events with the token and retries failures with backoff on the clock', async () => {
    const clock = new ManualClock(1_700_000_000_000);
    const seen: { body: Record<string, unknown>; auth: string | null }[] = [];
    let failures = 2;
    const fakeFetch = ((_url: string, init: RequestInit) => {
      seen.push({
        body: JSON.parse(init.body as string) as Record<string, unknown>,
        auth: new Headers(init.headers).get('authorization'),
      });
      const ok = failures-- <= 0;
      return Promise.resolve(new Response(ok ? 'ok' : 'busy', { status: ok ? 200 : 503 }));
    }) as typeof fetch;
    const metrics = new GatewayMetrics();
    const hooks = new HookDispatcher({
      url: 'http://127.0.0.1:1/hook',
      token: 'hook-token',
      maxAttempts: 5,
      initialDelayMs: 100,
      timeoutMs: 1000,
      clock,
      logger: silentLogger,
      metrics,
      fetch: fakeFetch,
    });
    hooks.send('call.status', { call: { id: 'c1', status: 'ESTABLISHED' } });
    await flush();
    expect(seen).toHaveLength(1);
    clock.advance(99);
    await flush();
    expect(seen).toHaveLength(1);
    clock.advance(1);
    await flush();
    clock.advance(200);
    await flush();
    expect(seen).toHaveLength(3);
    expect(seen[2]).toMatchObject({
      auth: 'Bearer hook-token',
      body: { event: 'call.status', sequence: 1, data: { call: { id: 'c1' } } },
    });
    expect(metrics.hookDeliveries.get({ result: 'retried' })).toBe(2);
    expect(metrics.hookDeliveries.get({ result: 'delivered' })).toBe(1);
    await hooks.close();
  });

  it('gives up on a 4xx at once and on close without waiting for retries', async () => {
    const clock = new ManualClock(1_700_000_000_000);
    let calls = 0;
    const metrics = new GatewayMetrics();
    const status = [400, 500];
    const hooks = new HookDispatcher({
      url: 'http://127.0.0.1:1/hook',
      token: null,
      maxAttempts: 5,
      initialDelayMs: 10_000,
      timeoutMs: 1000,
      clock,
      logger: silentLogger,
      metrics,
      fetch: () => Promise.resolve(new Response('', { status: status[calls++] ?? 500 })),
    });
    hooks.send('session.status', {});
    await flush();
    hooks.send('session.status', {});
    await flush();
    await hooks.close();
    expect(calls).toBe(2);
    expect(metrics.hookDeliveries.get({ result: 'dropped' })).toBe(2);
  });
});
