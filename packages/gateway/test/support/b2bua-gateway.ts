import { loadConfig, silentLogger, startGateway, type RunningGateway } from '../../src/index.js';
import { B2buaBackend } from '../../src/b2bua/backend.js';

export interface B2buaGateway {
  readonly gateway: RunningGateway;
  readonly backend: B2buaBackend;
}

/** The gateway with the real B2BUA on 127.0.0.1 (OS-chosen port), its SIP side sent to `proxy`. */
export async function startB2buaGateway(sip: {
  readonly domain: string;
  readonly proxy: string;
}): Promise<B2buaGateway> {
  let backend: B2buaBackend | undefined;
  const gateway = await startGateway({
    config: loadConfig({
      argv: [
        ...['--listen-host', '127.0.0.1', '--listen-port', '0'],
        ...['--api-tokens', 'test-token-0123456789abcdef'],
        ...['--sip-domain', sip.domain, '--sip-outbound-proxy', sip.proxy],
      ],
      env: {},
    }),
    logger: silentLogger,
    staticMounts: {},
    backendFactory: (context) => (backend = new B2buaBackend(context)),
  });
  return { gateway, backend: backend! };
}
