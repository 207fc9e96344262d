// The Phone UI in Firefox against real SIP peers on this host: the gateway (started in this
// process) registers the page's account at Kamailio with digest authentication, and baresip is
// the phone at the other end. Firefox calls baresip and baresip calls Firefox: each time the
// page receives baresip's 440 Hz tone (packets and a level meter near half scale), baresip
// records Firefox's fake microphone (non-silent RMS), and each side hangs up once.
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'puppeteer-core';
import type { RunningGateway } from '@callbridge/gateway';
import {
  callBackendFactory,
  createJsonLogger,
  loadConfig,
  startGateway,
} from '@callbridge/gateway';
import { PEERS, launchFirefox, needsPeers, startBaresip, startKamailio } from '@callbridge/testkit';
import type { Baresip, Kamailio, LaunchedFirefox } from '@callbridge/testkit';
import {
  click,
  describePeer,
  dial,
  instrumentPage,
  logIn,
  readStats,
  showsStatus,
  waitUntil,
} from './support/firefox-page.js';
import { PHONE_MOUNTS, requireBuiltPhone } from './support/phone-mounts.js';

const dir = (relative: string): string => fileURLToPath(new URL(relative, import.meta.url));
const results = dir('../../../test-results/phone-firefox-kamailio/');

describe.skipIf(needsPeers(PEERS.firefox, PEERS.kamailio, PEERS.baresip, PEERS.sox).skip)(
  'Phone UI in Firefox against Kamailio and baresip',
  () => {
    let kamailio: Kamailio;
    let baresip: Baresip;
    let gateway: RunningGateway;
    let firefox: LaunchedFirefox;
    let page: Page;
    const gatewayLog: string[] = [];

    beforeAll(async () => {
      requireBuiltPhone();
      mkdirSync(results, { recursive: true });
      kamailio = await startKamailio();
      baresip = await startBaresip({ kamailioPort: kamailio.port, maxCalls: 1, toneHz: 440 });
      const rtpMin = 40000 + 2 * Math.floor(Math.random() * 5000);
      gateway = await startGateway({
        // Everything on 127.0.0.1: WebRTC media (the test profile lets Firefox gather loopback
        // candidates), SIP and its RTP.
        config: loadConfig({
          argv: [
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
            '--media-rtp-ports',
            `${rtpMin}-${rtpMin + 199}`,
          ],
          env: {},
        }),
        backendFactory: callBackendFactory,
        logger: createJsonLogger({ level: 'debug', write: (line) => gatewayLog.push(line) }),
        staticMounts: PHONE_MOUNTS,
      });
      firefox = await launchFirefox();
      page = await firefox.newPage();
      await page.evaluateOnNewDocument(instrumentPage);
      await page.goto(`http://127.0.0.1:${new URL(gateway.url).port}/`, {
        waitUntil: 'load',
        timeout: 60_000,
      });
      await logIn(page, {
        login: 'browser',
        authName: 'browser-auth',
        password: 'browser-secret',
        domain: '127.0.0.1',
        outboundProxy: '127.0.0.1',
        port: kamailio.port,
      });
    }, 120_000);

    afterAll(async () => {
      // The peers' logs go beside the screenshots (CI artifacts): the SIP trace of a failure.
      writeFileSync(`${results}gateway.log`, gatewayLog.join('\n'));
      if (kamailio) writeFileSync(`${results}kamailio.log`, kamailio.process.output());
      if (baresip) writeFileSync(`${results}baresip.log`, baresip.output());
      await firefox?.close();
      await gateway?.stop();
      await baresip?.stop();
      await kamailio?.stop();
    });

    const explain = async (): Promise<string> =>
      `${await page.evaluate(describePeer)}\ngateway log:\n${gatewayLog.slice(-40).join('\n')}`;

    /** baresip's tone reaches the page, and the page's fake microphone reaches baresip. */
    async function expectAudioBothWays(): Promise<void> {
      const recorded = baresip.recordingMark();
      const first = await waitUntil(
        'audio from baresip',
        () => page.evaluate(readStats, 'audio'),
        (s) => s.packetsReceived > 0,
        20_000,
        explain,
      );
      await waitUntil(
        'more audio from baresip',
        () => page.evaluate(readStats, 'audio'),
        (s) => s.packetsReceived >= first.packetsReceived + 50,
        20_000,
        explain,
      );
      // baresip plays its tone at half scale: the level meter shows it (silence stays near 0).
      await waitUntil(
        'the level meter to show the tone',
        () => page.evaluate(() => (document.getElementById('level') as HTMLMeterElement).value),
        (level) => level > 0.25,
      );
      // Firefox's fake microphone is a steady tone; silence would record an RMS of 0.
      await waitUntil(
        "Firefox's microphone in baresip's recording",
        () => Promise.resolve(baresip.recordingSince(recorded)),
        (heard) => heard.samples > 8000 && heard.rms > 500,
        20_000,
        explain,
      );
    }

    it('calls baresip through Kamailio: audio both ways, DTMF, baresip hangs up', async () => {
      const mark = baresip.output().length;
      await dial(page, 'phone', 'Voice call');
      await showsStatus(page, 'Call status', 'Established');
      expect(kamailio.process.output()).toMatch(/AUTHORIZED INVITE from=browser as=browser-auth\n/);
      await expectAudioBothWays();
      await page.screenshot({ path: `${results}calls-baresip.png` });
      await click(page, '5');
      await waitUntil(
        'baresip to receive the DTMF',
        () => Promise.resolve(baresip.output().slice(mark)),
        (out) => /received event: '5'/.test(out),
      );
      await baresip.command('/hangup');
      await showsStatus(page, 'Call status', 'Finished');
    }, 120_000);

    it('baresip calls Firefox: answered in the page, audio both ways, the page hangs up', async () => {
      const mark = baresip.output().length;
      await baresip.command('/dial sip:browser@127.0.0.1');
      await showsStatus(page, 'Call status', /^Incoming call from .*phone/);
      await click(page, 'Answer');
      await showsStatus(page, 'Call status', 'Established');
      await expectAudioBothWays();
      await page.screenshot({ path: `${results}baresip-calls.png` });
      await click(page, 'Hangup');
      await showsStatus(page, 'Call status', 'Finished');
      await waitUntil(
        'the BYE at baresip',
        () => Promise.resolve(baresip.output().slice(mark)),
        (out) => /^BYE sip:/m.test(out),
      );
    }, 120_000);
  },
);
