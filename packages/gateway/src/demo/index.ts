// The embedded demo: a registrar + proxy from @callbridge/sip with the demo accounts, and the demo
// phone behind it. Everything listens on 127.0.0.1 with OS-chosen ports, so a fresh machine runs
// it next to anything else.
import { SipServer, UdpTransport } from '@callbridge/sip';
import type { EmbeddedDemo, EmbeddedDemoFactory } from '../backend.js';
import { DEMO_NUMBERS, DemoPhone } from './phone.js';

export { DEMO_NUMBERS, DemoPhone, EARLY_MEDIA_MS, type DemoNumber } from './phone.js';

export const DEMO_DOMAIN = 'demo.callbridge.local';

/** Public by design: they are printed by the CLI and shown on the Phone UI. */
export const DEMO_ACCOUNTS: readonly { readonly login: string; readonly password: string }[] = [
  { login: 'alice', password: 'alice-demo' },
  { login: 'bob', password: 'bob-demo' },
];

export interface StartDemoOptions {
  readonly address?: string;
  /** SIP port of the demo server; 0 (default) lets the OS choose. */
  readonly port?: number;
}

export async function startEmbeddedDemo(options: StartDemoOptions = {}): Promise<EmbeddedDemo> {
  const address = options.address ?? '127.0.0.1';
  const transport = await UdpTransport.create({ address, port: options.port ?? 0 });
  let phone: DemoPhone | undefined;
  const server = new SipServer({
    transports: [transport],
    domains: [DEMO_DOMAIN, address],
    users: (username) => {
      const account = DEMO_ACCOUNTS.find((a) => a.login === username);
      if (account) return { password: account.password };
      if (phone && username === phone.account.username) return { password: phone.account.password };
      return undefined;
    },
  });
  try {
    phone = await DemoPhone.start({
      server: { host: address, port: transport.local.port },
      domain: DEMO_DOMAIN,
      address,
    });
    await phone.registerNumbers();
  } catch (error) {
    await phone?.stop();
    await server.close();
    throw error;
  }
  const running = phone;
  return {
    domain: DEMO_DOMAIN,
    sipServer: { host: address, port: transport.local.port, transport: 'UDP' },
    accounts: DEMO_ACCOUNTS,
    numbers: DEMO_NUMBERS.map(({ number, description }) => ({ number, description })),
    async stop() {
      await running.stop();
      await server.close();
    },
  };
}

export const embeddedDemo: EmbeddedDemoFactory = () => startEmbeddedDemo();
