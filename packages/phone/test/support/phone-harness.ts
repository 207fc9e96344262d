// One set-up for every Phone UI test: a gateway on 127.0.0.1 that serves the Phone UI (started
// in this process, or the built `callbridge` CLI as a process), its log, the browsers a test
// opens on it, the REST API, and, for calls to real SIP peers, Kamailio and baresip. A test
// file states only what differs: the backend, the demo, extra CLI arguments, the browsers.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Page as ChromiumPage } from 'playwright-core';
import type { Page as FirefoxPage } from 'puppeteer-core';
import type { CallBackendFactory } from '@callbridge/gateway';
import {
  callBackendFactory,
  createJsonLogger,
  embeddedDemoFactory,
  loadConfig,
  startGateway,
} from '@callbridge/gateway';
import {
  launchChromium,
  launchFirefox,
  startBaresip,
  startKamailio,
  startProcess,
} from '@callbridge/testkit';
import type { Baresip, Kamailio } from '@callbridge/testkit';
import {
  API_TOKEN,
  restClient,
  type RestPost,
} from '../../../gateway/test/support/gateway-harness.js';
import { instrumentPage } from './page-probes.js';

const path = (relative: string): string => fileURLToPath(new URL(relative, import.meta.url));

/** What the gateway serves: the Phone UI, its built script and the built SDK. */
const PHONE_MOUNTS = {
  '/': path('../../web/'),
  '/app/': path('../../dist/'),
  '/sdk/': path('../../../client/dist/'),
};
const CLI = path('../../../gateway/dist/cli.js');

/** The log-in form's fields (labelled as on the page); those left out stay as they are. */
export interface LogInFields {
  readonly login: string;
  readonly password?: string;
  readonly domain?: string;
  readonly authName?: string;
  readonly outboundProxy?: string;
  readonly port?: number;
}

/** GET /api/info: whether the B2BUA core runs, and the embedded demo's domain and accounts. */
export interface GatewayInfo {
  readonly backend: 'ready' | 'absent';
  readonly demo: { readonly domain: string; readonly accounts: readonly string[] } | null;
}

export interface PhoneOptions {
  /** Under test-results/: where screenshots and, on stop, the logs go. */
  readonly results: string;
  /** Runs the built CLI as a process (what `npm start` runs) instead of in this process. */
  readonly cli?: boolean;
  /** In this process only: the call backend (default: the real B2BUA). */
  readonly backendFactory?: CallBackendFactory;
  /** Runs the embedded demo (its SIP server and accounts) beside the gateway. Default false. */
  readonly demo?: boolean;
  /** More CLI arguments, after the listen address. */
  readonly argv?: readonly string[];
}

export interface PhoneHarness {
  /** The Phone UI, on 127.0.0.1 (a secure context for getUserMedia). */
  readonly url: string;
  readonly info: GatewayInfo;
  /** test-results/<results>/, created; ends with a slash. */
  readonly results: string;
  /** POSTs to the gateway's REST API with the test token. */
  readonly rest: RestPost;
  /** The gateway's log so far: one JSON line per entry, debug level included. */
  log(): string;
  /** The log's last `lines` lines, to explain a failed wait. */
  logTail(lines: number): string;
  /**
   * A phone-sized Phone UI page in a headless Chromium of its own (fresh profile), instrumented
   * with instrumentPage(). Closing the page closes its browser.
   */
  openChromium(options?: { mediaPermission?: 'granted' | 'denied' }): Promise<ChromiumPage>;
  /** The same in a Firefox of its own. */
  openFirefox(): Promise<FirefoxPage>;
  /** Closes every browser opened so far (a loaded machine runs few at a time). */
  closeBrowsers(): Promise<void>;
  /** Closes the browsers, stops the gateway, and writes its log to `results`. */
  stop(): Promise<void>;
}

interface RunningPhoneGateway {
  readonly url: string;
  log(): string;
  stop(): Promise<void>;
}

/** Starts the gateway and opens nothing yet; throws when the Phone UI has not been built. */
export async function startPhone(options: PhoneOptions): Promise<PhoneHarness> {
  for (const built of [`${PHONE_MOUNTS['/app/']}main.js`, `${PHONE_MOUNTS['/sdk/']}index.js`]) {
    if (!existsSync(built)) throw new Error(`${built} is missing: run \`npm run build\` first`);
  }
  const results = path(`../../../../test-results/${options.results}/`);
  mkdirSync(results, { recursive: true });
  const argv = [
    '--listen-host',
    '127.0.0.1',
    '--listen-port',
    '0',
    '--demo-enabled',
    String(options.demo ?? false),
    '--api-tokens',
    API_TOKEN,
    ...(options.argv ?? []),
  ];
  const gateway = options.cli ? await startCli(argv) : await startInProcess(argv, options);
  const info = (await (await fetch(`${gateway.url}/api/info`)).json()) as GatewayInfo;
  const browsers: { close(): Promise<void> }[] = [];
  const closeBrowsers = async (): Promise<void> => {
    for (const browser of browsers.splice(0)) await browser.close();
  };
  return {
    url: `${gateway.url}/`,
    info,
    results,
    rest: restClient(gateway.url),
    log: () => gateway.log(),
    logTail: (lines) => gateway.log().trimEnd().split('\n').slice(-lines).join('\n'),
    async openChromium({ mediaPermission = 'granted' } = {}) {
      const chromium = await launchChromium({ mediaPermission });
      browsers.push(chromium);
      await chromium.context.addInitScript(instrumentPage);
      const page = chromium.context.pages()[0] ?? (await chromium.context.newPage());
      page.once('close', () => void chromium.close());
      await page.setViewportSize({ width: 390, height: 844 });
      await page.goto(`${gateway.url}/`);
      return page;
    },
    async openFirefox() {
      const firefox = await launchFirefox();
      browsers.push(firefox);
      const page = await firefox.newPage();
      await page.evaluateOnNewDocument(instrumentPage);
      await page.goto(`${gateway.url}/`, { waitUntil: 'load', timeout: 60_000 });
      return page;
    },
    closeBrowsers,
    async stop() {
      await closeBrowsers();
      writeFileSync(`${results}gateway.log`, gateway.log());
      await gateway.stop();
    },
  };
}

async function startInProcess(
  argv: readonly string[],
  options: PhoneOptions,
): Promise<RunningPhoneGateway> {
  const lines: string[] = [];
  const gateway = await startGateway({
    config: loadConfig({ argv: [...argv], env: {} }),
    backendFactory: options.backendFactory ?? callBackendFactory,
    ...(options.demo ? { demoFactory: embeddedDemoFactory } : {}),
    logger: createJsonLogger({ level: 'debug', write: (line) => lines.push(line) }),
    staticMounts: PHONE_MOUNTS,
  });
  return { url: gateway.url, log: () => lines.join('\n'), stop: () => gateway.stop() };
}

async function startCli(argv: readonly string[]): Promise<RunningPhoneGateway> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
  const cli = await startProcess(process.execPath, [CLI, ...argv, '--log-level', 'debug'], {
    readyPattern: /"msg":"gateway listening"/,
  });
  const listening = cli
    .output()
    .split('\n')
    .find((line) => line.includes('"gateway listening"'))!;
  return {
    url: (JSON.parse(listening) as { url: string }).url,
    log: () => cli.output(),
    stop: () => cli.stop(),
  };
}

export interface PhoneWithPeers extends PhoneHarness {
  /** Kamailio on 127.0.0.1 (digest authentication, Record-Route; conformance/kamailio/). */
  readonly kamailio: Kamailio;
  /** baresip, registered at Kamailio as `phone`: one call at a time, playing a 440 Hz tone. */
  readonly baresip: Baresip;
  /** The log-in form's fields for a Kamailio account, through Kamailio. */
  account(login: 'browser' | 'second' | 'phone2'): LogInFields;
}

/**
 * The gateway's SIP side on 127.0.0.1 with Kamailio as its server and baresip as the phone at
 * the other end. `stop()` also writes Kamailio's and baresip's logs to `results` and stops them.
 */
export async function startPhoneWithPeers(options: PhoneOptions): Promise<PhoneWithPeers> {
  const kamailio = await startKamailio();
  // One call at a time, so a second call gets 486 Busy Here.
  const baresip = await startBaresip({ kamailioPort: kamailio.port, maxCalls: 1, toneHz: 440 });
  const rtpMin = 40000 + 2 * Math.floor(Math.random() * 5000);
  let phone: PhoneHarness;
  try {
    phone = await startPhone({
      ...options,
      argv: [
        '--sip-domain',
        '127.0.0.1',
        '--sip-transport',
        'UDP',
        '--sip-listen-host',
        '127.0.0.1',
        '--media-rtp-ports',
        `${rtpMin}-${rtpMin + 199}`,
        ...(options.argv ?? []),
      ],
    });
  } catch (error) {
    await baresip.stop();
    await kamailio.stop();
    throw error;
  }
  return {
    ...phone,
    kamailio,
    baresip,
    account: (login) => ({
      login,
      // The page's account authenticates under another name than its login.
      authName: login === 'browser' ? 'browser-auth' : login,
      password: `${login}-secret`,
      domain: '127.0.0.1',
      outboundProxy: '127.0.0.1',
      port: kamailio.port,
    }),
    async stop() {
      // The peers' logs go beside the screenshots (CI artifacts): the SIP trace of a failure.
      writeFileSync(`${phone.results}kamailio.log`, kamailio.process.output());
      writeFileSync(`${phone.results}baresip.log`, baresip.output());
      await phone.stop();
      await baresip.stop();
      await kamailio.stop();
    },
  };
}
