// The Phone UI in Firefox against real SIP peers on this host: the gateway (started in this
// process) registers the page's account at Kamailio with digest authentication, and baresip is
// the phone at the other end. Firefox calls baresip and baresip calls Firefox: each time the
// page receives baresip's 440 Hz tone (packets and a level meter near half scale), baresip
// records Firefox's fake microphone (non-silent RMS), and each side hangs up once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'puppeteer-core';
import { PEERS, needsPeers } from '@callbridge/testkit';
import { click, dial, logIn, showsStatus, waitUntil } from './support/firefox-page.js';
import { describePeer, readStats } from './support/page-probes.js';
import { startPhoneWithPeers, type PhoneWithPeers } from './support/phone-harness.js';

describe.skipIf(needsPeers(PEERS.firefox, PEERS.kamailio, PEERS.baresip, PEERS.sox).skip)(
  'Phone UI in Firefox against Kamailio and baresip',
  () => {
    let phone: PhoneWithPeers;
    let page: Page;

    beforeAll(async () => {
      phone = await startPhoneWithPeers({ results: 'phone-firefox-kamailio' });
      page = await phone.openFirefox();
      await logIn(page, phone.account('browser'));
    }, 120_000);

    afterAll(() => phone?.stop());

    const explain = async (): Promise<string> =>
      `${await page.evaluate(describePeer)}\ngateway log:\n${phone.logTail(40)}`;

    /** baresip's tone reaches the page, and the page's fake microphone reaches baresip. */
    async function expectAudioBothWays(): Promise<void> {
      const recorded = phone.baresip.recordingMark();
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
        () => Promise.resolve(phone.baresip.recordingSince(recorded)),
        (heard) => heard.samples > 8000 && heard.rms > 500,
        20_000,
        explain,
      );
    }

    it('calls baresip through Kamailio: audio both ways, DTMF, baresip hangs up', async () => {
      const mark = phone.baresip.output().length;
      await dial(page, 'phone', 'Voice call');
      await showsStatus(page, 'Call status', 'Established');
      expect(phone.kamailio.process.output()).toMatch(
        /AUTHORIZED INVITE from=browser as=browser-auth\n/,
      );
      await expectAudioBothWays();
      await page.screenshot({ path: `${phone.results}calls-baresip.png` });
      await click(page, '5');
      await waitUntil(
        'baresip to receive the DTMF',
        () => Promise.resolve(phone.baresip.output().slice(mark)),
        (out) => /received event: '5'/.test(out),
      );
      await phone.baresip.command('/hangup');
      await showsStatus(page, 'Call status', 'Finished');
    }, 120_000);

    it('baresip calls Firefox: answered in the page, audio both ways, the page hangs up', async () => {
      const mark = phone.baresip.output().length;
      await phone.baresip.command('/dial sip:browser@127.0.0.1');
      await showsStatus(page, 'Call status', /^Incoming call from .*phone/);
      await click(page, 'Answer');
      await showsStatus(page, 'Call status', 'Established');
      await expectAudioBothWays();
      await page.screenshot({ path: `${phone.results}baresip-calls.png` });
      await click(page, 'Hangup');
      await showsStatus(page, 'Call status', 'Finished');
      await waitUntil(
        'the BYE at baresip',
        () => Promise.resolve(phone.baresip.output().slice(mark)),
        (out) => /^BYE sip:/m.test(out),
      );
    }, 120_000);
  },
);
