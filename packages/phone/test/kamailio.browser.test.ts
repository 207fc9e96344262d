// The Phone UI end to end against real peers on 127.0.0.1: the built `callbridge` CLI as a
// process with Kamailio (digest authentication, Record-Route; conformance/kamailio/) as its
// SIP server, and baresip (conformance/baresip/) as the phone at the other end. Headless
// Chromium logs in through the page's form and checks what a person would — the status texts and
// the level meter — while the test checks the other side: what baresip recorded (RMS of its WAV
// file), the DTMF and re-INVITEs it received, and the challenges Kamailio sent. Screenshots and
// the peers' logs go to test-results/phone-kamailio/.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { PEERS, needsPeers } from '@callbridge/testkit';
import type { Baresip, Kamailio, RecordingMark } from '@callbridge/testkit';
import { button, callStatus, dial, logIn } from './support/chromium-page.js';
import { startPhoneWithPeers, type PhoneWithPeers } from './support/phone-harness.js';

describe.skipIf(needsPeers(PEERS.chromium, PEERS.kamailio, PEERS.baresip, PEERS.sox).skip)(
  'Phone UI against Kamailio and baresip',
  () => {
    let phone: PhoneWithPeers;
    let kamailio: Kamailio;
    let baresip: Baresip;
    let screenshots: string;
    /** The page of the account `browser` (authenticating as `browser-auth`). */
    let page: Page;

    /** A second page, logged in as `login`: the target of a transfer. */
    async function openPhone(login: 'second' | 'phone2'): Promise<Page> {
      const opened = await phone.openChromium();
      await logIn(opened, phone.account(login));
      return opened;
    }

    /** What the page's open peer connections (the current call) received on their audio track. */
    function inboundAudio(on: Page = page): Promise<{ packets: number; level: number }> {
      return on.evaluate(async () => {
        const meter = document.querySelector<HTMLMeterElement>('#level');
        let packets = 0;
        const pcs = (window as unknown as { peerConnections: RTCPeerConnection[] }).peerConnections;
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
      phone = await startPhoneWithPeers({
        results: 'phone-kamailio',
        cli: true,
        argv: ['--media-public-address', '127.0.0.1'],
      });
      ({ kamailio, baresip, results: screenshots } = phone);
      page = await phone.openChromium();
      await logIn(page, phone.account('browser'));
    }, 60_000);

    afterAll(() => phone?.stop());

    /**
     * baresip's 440 Hz tone at half scale reaches the page: packets arrive and the level meter
     * shows about 0.5 (silence or comfort noise would stay near 0).
     */
    async function expectToneFromBaresip(): Promise<void> {
      await expect
        .poll(async () => (await inboundAudio()).packets, { timeout: 10_000 })
        .toBeGreaterThan(50);
      await expect
        .poll(async () => (await inboundAudio()).level, { timeout: 10_000 })
        .toBeGreaterThan(0.25);
    }

    /**
     * Chromium's fake microphone beeps: baresip records it after `mark`, transcoded from Opus to
     * PCMU (an RMS of about 3000 here; silence is 0).
     */
    async function expectMicrophoneAtBaresip(mark: RecordingMark): Promise<void> {
      await expect
        .poll(() => baresip.recordingSince(mark).rms, { timeout: 10_000 })
        .toBeGreaterThan(1000);
    }

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
      await dial(page, 'phone');
      await callStatus(page, 'Established');
      // The INVITE was challenged (407) and sent again with credentials.
      expect(kamailio.process.output()).toMatch(/CHALLENGE 407 INVITE from=browser\n/);
      expect(kamailio.process.output()).toMatch(/AUTHORIZED INVITE from=browser as=browser-auth\n/);
      await expectToneFromBaresip();
      await page.screenshot({ path: `${screenshots}established.png` });
      await expectMicrophoneAtBaresip(recorded);

      const beforeDtmf = baresip.output().length;
      await button(page, '5').click();
      await baresipPrints(beforeDtmf, /received event: '5'/);

      const beforeHold = baresip.output().length;
      await button(page, 'Hold').click();
      await callStatus(page, 'On hold');
      await baresipPrints(beforeHold, /a=sendonly[\s\S]*call: got re-INVITE/);
      await page.screenshot({ path: `${screenshots}on-hold.png` });
      const beforeUnhold = baresip.output().length;
      await button(page, 'Unhold').click();
      await callStatus(page, 'Established');
      await baresipPrints(beforeUnhold, /a=sendrecv[\s\S]*call: got re-INVITE/);

      const beforeHangup = baresip.output().length;
      await button(page, 'Hangup').click();
      await callStatus(page, 'Finished');
      await baresipPrints(beforeHangup, /^BYE sip:/m);
      await page.screenshot({ path: `${screenshots}finished.png` });
      expect(baresipSince(mark)).toMatch(/^ACK sip:/m);
    });

    it('baresip hangs up: the page shows Finished', async () => {
      await dial(page, 'phone');
      await callStatus(page, 'Established');
      await baresip.command('/hangup');
      await callStatus(page, 'Finished');
    });

    it('baresip calls the page through Kamailio: answered in the page, audio both ways', async () => {
      const mark = baresip.output().length;
      const recorded = baresip.recordingMark();
      await baresip.command(`/dial sip:browser@127.0.0.1`);
      await callStatus(page, /^Incoming call from .*phone/);
      await page.screenshot({ path: `${screenshots}incoming.png` });
      await button(page, 'Answer').click();
      await callStatus(page, 'Established');
      await expectToneFromBaresip();
      await baresipPrints(mark, /call: stream start/);
      await expectMicrophoneAtBaresip(recorded);
      await page.screenshot({ path: `${screenshots}incoming-established.png` });
      await button(page, 'Hangup').click();
      await callStatus(page, 'Finished');
      await baresipPrints(mark, /^BYE sip:/m);
    });

    it('mutes: baresip hears silence while muted and the microphone again after', async () => {
      await dial(page, 'phone');
      await callStatus(page, 'Established');
      await button(page, 'Mute').click();
      await expect(button(page, 'Unmute').getAttribute('aria-pressed')).resolves.toBe('true');
      // Let packets sent before the click drain, then listen for two seconds (8 kHz).
      await new Promise((resolve) => setTimeout(resolve, 500));
      const muted = baresip.recordingMark();
      await expect
        .poll(() => baresip.recordingSince(muted).samples, { timeout: 10_000 })
        .toBeGreaterThan(16_000);
      expect(baresip.recordingSince(muted).rms).toBeLessThan(100);
      await button(page, 'Unmute').click();
      await expectMicrophoneAtBaresip(baresip.recordingMark());
      await button(page, 'Hangup').click();
      await callStatus(page, 'Finished');
    });

    it('rejects a call from baresip: baresip gets 603 Decline, the page shows Finished', async () => {
      const mark = baresip.output().length;
      await baresip.command(`/dial sip:browser@127.0.0.1`);
      await callStatus(page, /^Incoming call from .*phone/);
      await button(page, 'Reject').click();
      await baresipPrints(mark, /^SIP\/2\.0 603 /m);
      await callStatus(page, 'Finished');
      await expect(button(page, 'Voice call').isEnabled()).resolves.toBe(true);
    });

    it('shows busy when the phone is already in a call, then resumes the first call', async () => {
      await dial(page, 'phone');
      await callStatus(page, 'Established');
      // baresip takes one call at a time: the second call (the page holds the first) gets 486.
      const mark = baresip.output().length;
      await dial(page, 'phone');
      await callStatus(page, 'Failed: busy');
      await baresipPrints(mark, /^SIP\/2\.0 486 /m);
      await page.screenshot({ path: `${screenshots}busy.png` });
      await button(page, 'Unhold').click();
      await callStatus(page, 'Established');
      // The resumed call is the current one again: its level meter moves.
      await expect
        .poll(async () => (await inboundAudio()).level, { timeout: 10_000 })
        .toBeGreaterThan(0.25);
      await button(page, 'Hangup').click();
      await callStatus(page, 'Finished');
    });

    it('transfers baresip to a second page (blind transfer: REFER through Kamailio)', async () => {
      const second = await openPhone('second');
      await dial(page, 'phone');
      await callStatus(page, 'Established');
      const mark = baresip.output().length;
      // A bare user name: the gateway expands it in the account's domain.
      await page.getByPlaceholder('Enter your number here').fill('second');
      await button(page, 'Transfer').click();
      await baresipPrints(mark, /^REFER sip:/m);
      await callStatus(second, /^Incoming call from .*phone/);
      await button(second, 'Answer').click();
      await callStatus(second, 'Established');
      await second.screenshot({ path: `${screenshots}transferred.png` });
      await callStatus(page, 'Finished');
      await button(second, 'Hangup').click();
      await callStatus(second, 'Finished');
      await second.close();
    });

    it('attended transfer: the page holds one page, calls another, and connects the two', async () => {
      const second = await openPhone('second');
      const third = await openPhone('phone2');
      await dial(page, 'second');
      await callStatus(second, /^Incoming call from .*browser/);
      await button(second, 'Answer').click();
      await callStatus(second, 'Established');
      await callStatus(page, 'Established');
      // A second call: the Phone UI puts the first on hold before it dials.
      await dial(page, 'phone2');
      await callStatus(second, 'On hold');
      await callStatus(third, /^Incoming call from .*browser/);
      await button(third, 'Answer').click();
      await callStatus(third, 'Established');
      await callStatus(page, 'Established');
      // Transfer with a held call: REFER with Replaces to the held party (RFC 5589 §7).
      await button(page, 'Transfer').click();
      await callStatus(page, 'Finished');
      await page.screenshot({ path: `${screenshots}attended-transferor.png` });
      // The held page is off hold and talks to the third page, which was not rung again: the
      // INVITE with Replaces took the place of the page's call to it.
      await callStatus(second, 'Established');
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
      await button(second, 'Hangup').click();
      await callStatus(second, 'Finished');
      await callStatus(third, 'Finished');
      await second.close();
      await third.close();
    }, 60_000);

    it('shows the failure for a number that does not exist', async () => {
      await dial(page, 'nobody');
      await callStatus(page, 'Failed: 404 Not Found');
      await page.screenshot({ path: `${screenshots}not-found.png` });
    });
  },
);
