// The Phone UI end to end against real peers on 127.0.0.1: the built `callbridge` CLI as a
// process with Kamailio (digest authentication, Record-Route; conformance/kamailio/) as its
// SIP server, and baresip (conformance/baresip/) as the phone at the other end. Headless
// Chromium logs in through the page's form and checks what a person would — the status texts and
// the level meter — while the test checks the other side: what baresip recorded (RMS of its WAV
// file), the DTMF and re-INVITEs it received, and the challenges Kamailio sent. Screenshots and
// the peers' logs go to test-results/phone-kamailio/.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import {
  PEERS,
  launchChromium,
  needsPeers,
  startBaresip,
  startKamailio,
  startProcess,
} from '@callbridge/testkit';
import type { Baresip, Kamailio, LaunchedChromium, RunningProcess } from '@callbridge/testkit';

const cli = fileURLToPath(new URL('../../gateway/dist/cli.js', import.meta.url));
const screenshots = fileURLToPath(
  new URL('../../../test-results/phone-kamailio/', import.meta.url),
);

interface Account {
  readonly login: string;
  readonly authName: string;
  readonly password: string;
}

/** The page's account at Kamailio: login `browser`, authenticating as `browser-auth`. */
const BROWSER: Account = { login: 'browser', authName: 'browser-auth', password: 'browser-secret' };
/** A second page's account, the target of a transfer. */
const SECOND: Account = { login: 'second', authName: 'second', password: 'second-secret' };
/** A third page's account, for attended transfer between two pages. */
const THIRD: Account = { login: 'phone2', authName: 'phone2', password: 'phone2-secret' };

describe.skipIf(needsPeers(PEERS.chromium, PEERS.kamailio, PEERS.baresip, PEERS.sox).skip)(
  'Phone UI against Kamailio and baresip',
  () => {
    let kamailio: Kamailio;
    let baresip: Baresip;
    let gateway: RunningProcess;
    let url: string;
    let browser: LaunchedChromium;
    let page: Page;

    /** Logs `on` in through the form: login, auth. name, password, domain, outbound proxy, port. */
    async function logIn(account: Account, on: Page = page): Promise<void> {
      await on.getByRole('button', { name: 'Log in', exact: true }).click();
      await on.getByLabel('login', { exact: true }).fill(account.login);
      await on.getByLabel('auth. name', { exact: true }).fill(account.authName);
      await on.getByLabel('password', { exact: true }).fill(account.password);
      await on.getByLabel('domain', { exact: true }).fill('127.0.0.1');
      await on.getByLabel('outbound proxy', { exact: true }).fill('127.0.0.1');
      await on.getByLabel('port', { exact: true }).fill(String(kamailio.port));
      await on.getByRole('button', { name: 'log in', exact: true }).click();
      await on
        .getByRole('status', { name: 'Session status' })
        .getByText('Registered', { exact: true })
        .waitFor({ timeout: 10_000 });
    }

    function callStatus(text: string | RegExp, on: Page = page): Promise<void> {
      return on
        .getByRole('status', { name: 'Call status' })
        .getByText(text, { exact: typeof text === 'string' })
        .waitFor({ timeout: 15_000 });
    }

    async function dial(number: string): Promise<void> {
      await page.getByPlaceholder('Enter your number here').fill(number);
      await page.getByRole('button', { name: 'Voice call', exact: true }).click();
    }

    function button(name: string, on: Page = page): ReturnType<Page['getByRole']> {
      return on.getByRole('button', { name, exact: true });
    }

    /** A phone-sized page of the Phone UI, in the shared browser. */
    async function openPhone(): Promise<Page> {
      const opened = await browser.context.newPage();
      await opened.setViewportSize({ width: 390, height: 844 });
      // Keep a handle on the SDK's peer connections so the test can read their inbound-rtp stats.
      await opened.addInitScript(() => {
        const Native = window.RTCPeerConnection;
        const pcs: RTCPeerConnection[] = [];
        (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs = pcs;
        window.RTCPeerConnection = class extends Native {
          constructor(config?: RTCConfiguration) {
            super(config);
            pcs.push(this);
          }
        };
      });
      await opened.goto(`${url}/`);
      return opened;
    }

    /** What the page's open peer connection (the current call) received on its audio track. */
    function inboundAudio(on: Page = page): Promise<{ packets: number; level: number }> {
      return on.evaluate(async () => {
        const meter = document.querySelector<HTMLMeterElement>('#level');
        let packets = 0;
        const pcs = (window as unknown as { __pcs?: RTCPeerConnection[] }).__pcs ?? [];
        for (const pc of pcs) {
          if (pc.connectionState === 'closed') continue;
          const stats = await pc.getStats();
          stats.forEach((s: { type: string; kind?: string; packetsReceived?: number }) => {
            if (s.type === 'inbound-rtp' && s.kind === 'audio') packets += s.packetsReceived ?? 0;
          });
        }
        return { packets, level: meter?.value ?? 0 };
      });
    }

    /** baresip's output since `mark` (a length of its output taken earlier). */
    function baresipSince(mark: number): string {
      return baresip.output().slice(mark);
    }

    beforeAll(async () => {
      if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` first`);
      mkdirSync(screenshots, { recursive: true });
      kamailio = await startKamailio();
      // One call at a time, so a second call from the page gets 486 Busy Here.
      baresip = await startBaresip({ kamailioPort: kamailio.port, maxCalls: 1, toneHz: 440 });
      const rtpMin = 40000 + 2 * Math.floor(Math.random() * 5000);
      gateway = await startProcess(
        process.execPath,
        [
          cli,
          '--listen-host',
          '127.0.0.1',
          '--listen-port',
          '0',
          '--demo-enabled',
          'false',
          '--sip-domain',
          '127.0.0.1',
          '--sip-transport',
          'UDP',
          '--sip-listen-host',
          '127.0.0.1',
          '--media-public-address',
          '127.0.0.1',
          '--media-rtp-ports',
          `${rtpMin}-${rtpMin + 199}`,
          '--log-level',
          'debug',
        ],
        { readyPattern: /"msg":"gateway listening"/ },
      );
      const line = gateway
        .output()
        .split('\n')
        .find((l) => l.includes('"gateway listening"'))!;
      url = (JSON.parse(line) as { url: string }).url;
      browser = await launchChromium();
      page = await openPhone();
      await logIn(BROWSER);
    }, 60_000);

    afterAll(async () => {
      // The peers' logs go beside the screenshots (CI artifacts): the SIP trace of a failure.
      if (gateway) writeFileSync(`${screenshots}gateway.log`, gateway.output());
      if (kamailio) writeFileSync(`${screenshots}kamailio.log`, kamailio.process.output());
      if (baresip) writeFileSync(`${screenshots}baresip.log`, baresip.output());
      await browser?.close();
      await gateway?.stop();
      await baresip?.stop();
      await kamailio?.stop();
    });

    /** Waits until baresip's output since `mark` matches. */
    async function baresipPrints(mark: number, pattern: RegExp, timeout = 10_000): Promise<void> {
      await expect.poll(() => baresipSince(mark), { timeout }).toMatch(pattern);
    }

    it('calls baresip: Established, audio both ways, DTMF, hold/unhold, hangup from the page', async () => {
      await page.screenshot({ path: `${screenshots}registered.png` });
      // Kamailio challenged the page's REGISTER (401) and accepted the credentials of its
      // authentication name, which differs from the login.
      expect(kamailio.process.output()).toMatch(/CHALLENGE 401 REGISTER to=browser\n/);
      expect(kamailio.process.output()).toMatch(/AUTHORIZED REGISTER to=browser as=browser-auth\n/);
      const mark = baresip.output().length;
      const recorded = baresip.recordingMark();
      await dial('phone');
      await callStatus('Established');
      // The INVITE was challenged (407) and sent again with credentials.
      expect(kamailio.process.output()).toMatch(/CHALLENGE 407 INVITE from=browser\n/);
      expect(kamailio.process.output()).toMatch(/AUTHORIZED INVITE from=browser as=browser-auth\n/);
      // baresip plays a 440 Hz tone at half scale: the browser receives packets and its level
      // meter shows about 0.5 (silence or comfort noise would stay near 0).
      await expect
        .poll(async () => (await inboundAudio()).packets, { timeout: 10_000 })
        .toBeGreaterThan(50);
      await expect
        .poll(async () => (await inboundAudio()).level, { timeout: 10_000 })
        .toBeGreaterThan(0.25);
      await page.screenshot({ path: `${screenshots}established.png` });
      // Chromium's fake microphone beeps: baresip records it, transcoded from Opus to PCMU (an
      // RMS of about 3000 here; silence is 0).
      await expect
        .poll(() => baresip.recordingSince(recorded).rms, { timeout: 10_000 })
        .toBeGreaterThan(1000);

      const beforeDtmf = baresip.output().length;
      await button('5').click();
      await baresipPrints(beforeDtmf, /received event: '5'/);

      const beforeHold = baresip.output().length;
      await button('Hold').click();
      await callStatus('On hold');
      await baresipPrints(beforeHold, /a=sendonly[\s\S]*call: got re-INVITE/);
      await page.screenshot({ path: `${screenshots}on-hold.png` });
      const beforeUnhold = baresip.output().length;
      await button('Unhold').click();
      await callStatus('Established');
      await baresipPrints(beforeUnhold, /a=sendrecv[\s\S]*call: got re-INVITE/);

      const beforeHangup = baresip.output().length;
      await button('Hangup').click();
      await callStatus('Finished');
      await baresipPrints(beforeHangup, /^BYE sip:/m);
      await page.screenshot({ path: `${screenshots}finished.png` });
      expect(baresipSince(mark)).toMatch(/^ACK sip:/m);
    });

    it('baresip hangs up: the page shows Finished', async () => {
      await dial('phone');
      await callStatus('Established');
      await baresip.command('/hangup');
      await callStatus('Finished');
    });

    it('baresip calls the page through Kamailio: answered in the page, audio both ways', async () => {
      const mark = baresip.output().length;
      const recorded = baresip.recordingMark();
      await baresip.command(`/dial sip:${BROWSER.login}@127.0.0.1`);
      await callStatus(/^Incoming call from .*phone/);
      await page.screenshot({ path: `${screenshots}incoming.png` });
      await button('Answer').click();
      await callStatus('Established');
      await expect
        .poll(async () => (await inboundAudio()).packets, { timeout: 10_000 })
        .toBeGreaterThan(50);
      await expect
        .poll(async () => (await inboundAudio()).level, { timeout: 10_000 })
        .toBeGreaterThan(0.25);
      await baresipPrints(mark, /call: stream start/);
      await expect
        .poll(() => baresip.recordingSince(recorded).rms, { timeout: 10_000 })
        .toBeGreaterThan(1000);
      await page.screenshot({ path: `${screenshots}incoming-established.png` });
      await button('Hangup').click();
      await callStatus('Finished');
      await baresipPrints(mark, /^BYE sip:/m);
    });

    it('mutes: baresip hears silence while muted and the microphone again after', async () => {
      await dial('phone');
      await callStatus('Established');
      await button('Mute').click();
      await expect(button('Unmute').getAttribute('aria-pressed')).resolves.toBe('true');
      // Let packets sent before the click drain, then listen for two seconds (8 kHz).
      await new Promise((resolve) => setTimeout(resolve, 500));
      const muted = baresip.recordingMark();
      await expect
        .poll(() => baresip.recordingSince(muted).samples, { timeout: 10_000 })
        .toBeGreaterThan(16_000);
      expect(baresip.recordingSince(muted).rms).toBeLessThan(100);
      await button('Unmute').click();
      const unmuted = baresip.recordingMark();
      await expect
        .poll(() => baresip.recordingSince(unmuted).rms, { timeout: 10_000 })
        .toBeGreaterThan(1000);
      await button('Hangup').click();
      await callStatus('Finished');
    });

    it('rejects a call from baresip: baresip gets 603 Decline, the page shows Finished', async () => {
      const mark = baresip.output().length;
      await baresip.command(`/dial sip:${BROWSER.login}@127.0.0.1`);
      await callStatus(/^Incoming call from .*phone/);
      await button('Reject').click();
      await baresipPrints(mark, /^SIP\/2\.0 603 /m);
      await callStatus('Finished');
      await expect(button('Voice call').isEnabled()).resolves.toBe(true);
    });

    it('shows busy when the phone is already in a call, then resumes the first call', async () => {
      await dial('phone');
      await callStatus('Established');
      // baresip takes one call at a time: the second call (the page holds the first) gets 486.
      const mark = baresip.output().length;
      await dial('phone');
      await callStatus('Failed: busy');
      await baresipPrints(mark, /^SIP\/2\.0 486 /m);
      await page.screenshot({ path: `${screenshots}busy.png` });
      await button('Unhold').click();
      await callStatus('Established');
      // The resumed call is the current one again: its level meter moves.
      await expect
        .poll(async () => (await inboundAudio()).level, { timeout: 10_000 })
        .toBeGreaterThan(0.25);
      await button('Hangup').click();
      await callStatus('Finished');
    });

    it('transfers baresip to a second page (blind transfer: REFER through Kamailio)', async () => {
      const second = await openPhone();
      await logIn(SECOND, second);
      await dial('phone');
      await callStatus('Established');
      const mark = baresip.output().length;
      // A bare user name: the gateway expands it in the account's domain.
      await page.getByPlaceholder('Enter your number here').fill(SECOND.login);
      await button('Transfer').click();
      await baresipPrints(mark, /^REFER sip:/m);
      await callStatus(/^Incoming call from .*phone/, second);
      await button('Answer', second).click();
      await callStatus('Established', second);
      await second.screenshot({ path: `${screenshots}transferred.png` });
      await callStatus('Finished');
      await button('Hangup', second).click();
      await callStatus('Finished', second);
      await second.close();
    });

    it('attended transfer: the page holds one page, calls another, and connects the two', async () => {
      const second = await openPhone();
      const third = await openPhone();
      await logIn(SECOND, second);
      await logIn(THIRD, third);
      await dial(SECOND.login);
      await callStatus(/^Incoming call from .*browser/, second);
      await button('Answer', second).click();
      await callStatus('Established', second);
      await callStatus('Established');
      // A second call: the Phone UI puts the first on hold before it dials.
      await dial(THIRD.login);
      await callStatus('On hold', second);
      await callStatus(/^Incoming call from .*browser/, third);
      await button('Answer', third).click();
      await callStatus('Established', third);
      await callStatus('Established');
      // Transfer with a held call: REFER with Replaces to the held party (RFC 5589 §7).
      await button('Transfer').click();
      await callStatus('Finished');
      await page.screenshot({ path: `${screenshots}attended-transferor.png` });
      // The held page is off hold and talks to the third page, which was not rung again: the
      // INVITE with Replaces took the place of the page's call to it.
      await callStatus('Established', second);
      const before = await inboundAudio(second);
      await expect
        .poll(async () => (await inboundAudio(second)).packets, { timeout: 10_000 })
        .toBeGreaterThan(before.packets + 50);
      const thirdBefore = await inboundAudio(third);
      await expect
        .poll(async () => (await inboundAudio(third)).packets, { timeout: 10_000 })
        .toBeGreaterThan(thirdBefore.packets + 50);
      await expect(third.getByRole('status', { name: 'Call status' }).textContent()).resolves.toBe(
        'Established',
      );
      await second.screenshot({ path: `${screenshots}attended-transferee.png` });
      await button('Hangup', second).click();
      await callStatus('Finished', second);
      await callStatus('Finished', third);
      await second.close();
      await third.close();
    }, 60_000);

    it('shows the failure for a number that does not exist', async () => {
      await dial('nobody');
      await callStatus('Failed: 404 Not Found');
      await page.screenshot({ path: `${screenshots}not-found.png` });
    });
  },
);
