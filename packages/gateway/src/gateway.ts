/**
 * Assembles a running gateway from a configuration: call control over the backend, the REST
 * and WebSocket APIs, hooks, metrics, logs and graceful shutdown.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type {
  CallBackend,
  CallBackendFactory,
  EmbeddedDemo,
  EmbeddedDemoFactory,
} from './backend.js';
import type { Clock } from './clock.js';
import { systemClock } from './clock.js';
import type { GatewayConfig } from './config.js';
import { demoEnabled, mediaOnLoopbackOnly } from './config.js';
import { DialPlan } from './dial-plan.js';
import { HookDispatcher, createAuthorizationHook } from './hooks.js';
import type { StaticMounts } from './http-server.js';
import { GatewayHttpServer, WEBSOCKET_PATH } from './http-server.js';
import type { Logger } from './log.js';
import { createJsonLogger } from './log.js';
import { GatewayMetrics } from './metrics.js';
import { RateLimiter } from './rate-limit.js';
import { CallControlService } from './service.js';
import { WebSocketHub } from './websocket-server.js';

export const GATEWAY_VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

export interface StartGatewayOptions {
  readonly config: GatewayConfig;
  readonly backendFactory?: CallBackendFactory | undefined;
  readonly demoFactory?: EmbeddedDemoFactory | undefined;
  readonly logger?: Logger;
  readonly clock?: Clock;
  readonly staticMounts?: StaticMounts;
  /** HTTP client for event hooks (tests inject one). */
  readonly fetch?: typeof fetch;
}

export interface RunningGateway {
  readonly url: string;
  readonly port: number;
  readonly websocketUrl: string;
  readonly service: CallControlService;
  readonly metrics: GatewayMetrics;
  readonly demo: EmbeddedDemo | null;
  /** Runs `hook` during shutdown, after calls ended and before the listener closes. */
  onShutdown(hook: () => Promise<void> | void): void;
  /** Graceful stop: stop accepting, end calls (BYE), unregister, flush hooks, close. */
  stop(): Promise<void>;
}

/** The Phone UI and SDK next to this package in the workspace (or in node_modules). */
export function defaultStaticMounts(): StaticMounts {
  const dir = (relative: string): string => fileURLToPath(new URL(relative, import.meta.url));
  const candidates: Record<string, string> = {
    '/': dir('../../phone/web/'),
    '/app/': dir('../../phone/dist/'),
    '/sdk/': dir('../../client/dist/'),
  };
  return Object.fromEntries(Object.entries(candidates).filter(([, path]) => existsSync(path)));
}

export async function startGateway(options: StartGatewayOptions): Promise<RunningGateway> {
  const { config } = options;
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createJsonLogger({ level: config.log.level });
  const metrics = new GatewayMetrics();
  const shutdownHooks: (() => Promise<void> | void)[] = [];

  let demo: EmbeddedDemo | null = null;
  if (demoEnabled(config)) {
    if (options.demoFactory) {
      demo = await options.demoFactory({
        config,
        logger: logger.child({ component: 'demo' }),
        metrics,
        clock,
      });
      logger.info('embedded demo running', {
        domain: demo.domain,
        sipServer: demo.sipServer,
        accounts: demo.accounts.map((a) => a.login),
        numbers: demo.numbers.map((n) => n.number),
      });
    } else {
      logger.warn(
        'the embedded demo is not part of this build; configure sip.domain to use a SIP server',
      );
    }
  }
  let backend: CallBackend | undefined;
  if (options.backendFactory) {
    backend = await options.backendFactory({
      config,
      logger: logger.child({ component: 'b2bua' }),
      metrics,
      clock,
      demo,
    });
  } else {
    logger.warn('no call backend in this build: sessions and calls fail with BACKEND_UNAVAILABLE');
  }

  const service = new CallControlService({
    backend,
    clock,
    logger,
    metrics,
    dialPlan: new DialPlan(config.dialPlan),
    resumeGraceMs: config.sessions.resumeGraceMs,
    incomingAnswerTimeoutMs: config.sessions.incomingAnswerTimeoutMs,
    browserOfferTimeoutMs: config.sessions.browserOfferTimeoutMs,
    retainEndedCallsMs: config.sessions.retainEndedCallsMs,
    ...(config.hooks.authorizeUrl === null
      ? {}
      : {
          authorizeCall: createAuthorizationHook({
            url: config.hooks.authorizeUrl,
            token: config.hooks.token,
            timeoutMs: config.hooks.timeoutMs,
            logger,
            ...(options.fetch ? { fetch: options.fetch } : {}),
          }),
        }),
  });
  const hooks =
    config.hooks.url === null
      ? null
      : new HookDispatcher({
          url: config.hooks.url,
          token: config.hooks.token,
          maxAttempts: config.hooks.maxAttempts,
          initialDelayMs: config.hooks.initialDelayMs,
          timeoutMs: config.hooks.timeoutMs,
          clock,
          logger,
          metrics,
          ...(options.fetch ? { fetch: options.fetch } : {}),
        });
  hooks?.attach(service);

  const logins = new RateLimiter(config.limits.loginsPerMinute, clock);
  const callAttempts = new RateLimiter(config.limits.callAttemptsPerMinute, clock);
  const hub = new WebSocketHub({
    service,
    clock,
    logger,
    metrics,
    logins,
    callAttempts,
    resumeGraceMs: config.sessions.resumeGraceMs,
  });
  const startedAt = clock.now();
  const server = new GatewayHttpServer({
    config,
    logger,
    metrics,
    hub,
    wsConnects: new RateLimiter(config.limits.wsConnectsPerMinute, clock),
    staticMounts: options.staticMounts ?? defaultStaticMounts(),
    rest: {
      service,
      tokens: config.api.tokens,
      callAttempts,
      logins,
      mediaFilesDir: config.media.filesDir,
      version: GATEWAY_VERSION,
      logger: logger.child({ component: 'rest' }),
    },
    health: () => ({
      backend: service.hasBackend ? 'ready' : 'absent',
      demo: demo !== null,
      sessions: service.sessions.size,
      calls: service.calls.size,
      websocketConnections: hub.connectionCount,
      uptimeSeconds: Math.round((clock.now() - startedAt) / 1000),
    }),
    info: () => ({
      backend: service.hasBackend ? 'ready' : 'absent',
      demo:
        demo === null
          ? null
          : {
              domain: demo.domain,
              accounts: demo.accounts.map((a) => a.login),
              numbers: demo.numbers,
            },
    }),
  });
  const address = await server.listen();
  const websocketUrl = `${address.url.replace(/^http/, 'ws')}${WEBSOCKET_PATH}`;
  logger.info('gateway listening', {
    url: address.url,
    websocket: websocketUrl,
    backend: service.hasBackend ? 'ready' : 'absent',
    restApi: config.api.tokens.length > 0 ? 'enabled' : 'disabled (no api.tokens)',
  });
  if (mediaOnLoopbackOnly(config)) {
    logger.warn(
      'WebRTC media is announced on a loopback address: calls from Firefox fail ICE (it gathers ' +
        'no loopback candidate unless media.peerconnection.ice.loopback is set); listen on a ' +
        'routable address (e.g. --listen-host 0.0.0.0) or set --media-public-address to call ' +
        'from Firefox',
      { address: config.media.publicAddress ?? config.listen.host },
    );
  }

  let stopping: Promise<void> | null = null;
  return {
    url: address.url,
    port: address.port,
    websocketUrl,
    service,
    metrics,
    demo,
    onShutdown: (hook) => {
      shutdownHooks.push(hook);
    },
    stop() {
      stopping ??= (async () => {
        logger.info('gateway stopping');
        server.stopAccepting();
        await service.shutdown();
        for (const hook of shutdownHooks) {
          try {
            await hook();
          } catch (error) {
            logger.error('shutdown hook failed', { error });
          }
        }
        await hooks?.close();
        await demo?.stop();
        await server.close();
        logger.info('gateway stopped');
      })();
      return stopping;
    },
  };
}
