import type { Clock, RunningGateway, GatewayConfig } from '@callbridge/gateway';
import { loadConfig, silentLogger, startGateway } from '@callbridge/gateway';
import { BackendDouble } from './backend-double.js';

export const API_TOKEN = 'test-token-0123456789abcdef';

export type RestPost = (
  path: string,
  body: unknown,
  token?: string | null,
) => Promise<{ status: number; json: Record<string, unknown> }>;

export interface Harness {
  gateway: RunningGateway;
  backend: BackendDouble;
  config: GatewayConfig;
  post: RestPost;
}

/** POSTs JSON to the REST API at `baseUrl` with the test token (or `token`; null sends none). */
export function restClient(baseUrl: string): RestPost {
  return async (path, body, token = API_TOKEN) => {
    const response = await fetch(`${baseUrl}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(token === null ? {} : { authorization: `Bearer ${token}` }),
      },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  };
}

/** A configuration for a test gateway: 127.0.0.1, an OS-chosen port, the test API token. */
export function testConfig(extraArgs: string[] = []): GatewayConfig {
  return loadConfig({
    argv: [
      '--listen-host',
      '127.0.0.1',
      '--listen-port',
      '0',
      '--api-tokens',
      API_TOKEN,
      ...extraArgs,
    ],
    env: {},
  });
}

/** A gateway on 127.0.0.1 with an OS-chosen port, in front of the backend test double. */
export async function startHarness(
  extraArgs: string[] = [],
  options: { fetch?: typeof fetch; staticMounts?: Record<string, string>; clock?: Clock } = {},
): Promise<Harness> {
  const backend = new BackendDouble();
  const config = testConfig(['--sip-domain', 'example.test', ...extraArgs]);
  const gateway = await startGateway({
    config,
    backendFactory: () => backend,
    logger: silentLogger,
    staticMounts: options.staticMounts ?? {},
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  return { gateway, backend, config, post: restClient(gateway.url) };
}
