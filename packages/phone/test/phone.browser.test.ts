// The Phone UI in headless Chromium, served by a running gateway. The gateway runs in front of
// the call-backend TEST DOUBLE (packages/gateway/test/support): this test checks the page and
// the SDK (controls, login, status display, what the browser sends), not calls end to end.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { PEERS, needsPeers } from '@callbridge/testkit';
import { BackendDouble } from '../../gateway/test/support/backend-double.js';
import { button, callStatus, dial, logIn } from './support/chromium-page.js';
import { startPhone, type PhoneHarness } from './support/phone-harness.js';

describe.skipIf(needsPeers(PEERS.chromium).skip)('Phone UI in Chromium', () => {
  const backend = new BackendDouble();
  let phone: PhoneHarness;
  let screenshots: string;
  let page: Page;

  beforeAll(async () => {
    phone = await startPhone({
      results: 'phone',
      backendFactory: () => backend,
      argv: ['--sip-domain', 'example.test'],
    });
    screenshots = phone.results;
    const pageErrors: string[] = [];
    page = await phone.openChromium();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.reload();
    expect(pageErrors).toEqual([]);
  });

  afterAll(() => phone?.stop());

  it('names every control as the issue asks', async () => {
    for (const name of [
      'Log in',
      'Voice call',
      'Video call',
      'Hangup',
      'Hold',
      'Transfer',
      'Answer',
      'Reject',
      'Mute',
    ]) {
      await expect(page.getByRole('button', { name, exact: true }).count()).resolves.toBe(1);
    }
    for (const key of ['1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '0', '#']) {
      await expect(
        page
          .getByRole('group', { name: 'Dial pad' })
          .getByRole('button', { name: key, exact: true })
          .count(),
      ).resolves.toBe(1);
    }
    await expect(page.getByPlaceholder('Enter your number here').isVisible()).resolves.toBe(true);
    await expect(page.getByRole('status', { name: 'Call status' }).textContent()).resolves.toBe(
      'Idle',
    );
    await expect(page.getByRole('timer', { name: 'Call duration' }).textContent()).resolves.toBe(
      '00:00',
    );

    await button(page, 'Log in').click();
    for (const label of ['login', 'auth. name', 'password', 'domain', 'outbound proxy', 'port']) {
      await expect(page.getByLabel(label, { exact: true }).isVisible()).resolves.toBe(true);
    }
    await expect(button(page, 'log in').isVisible()).resolves.toBe(true);
    await button(page, 'cancel').click();
    await expect(page.getByLabel('login', { exact: true }).isVisible()).resolves.toBe(false);
    await page.screenshot({ path: `${screenshots}idle.png` });
  });

  it('logs in by keyboard, shows the session status, and remembers only non-secret fields', async () => {
    await button(page, 'Log in').focus();
    await page.keyboard.press('Enter');
    // The form takes focus on its first field; Tab walks the fields in order.
    for (const value of [
      'alice',
      'alice-auth',
      'alice-secret',
      'example.test',
      '127.0.0.1:5060',
      '5060',
    ]) {
      await page.keyboard.type(value);
      await page.keyboard.press('Tab');
    }
    await page.screenshot({ path: `${screenshots}login.png` });
    await page.keyboard.press('Enter'); // focus is on "log in"
    const sessionStatus = page.getByRole('status', { name: 'Session status' });
    await sessionStatus.getByText('Connected').waitFor();
    await expect.poll(() => backend.accounts.length).toBe(1);
    expect(backend.lastAccount().account).toEqual({
      login: 'alice',
      authenticationName: 'alice-auth',
      password: 'alice-secret',
      domain: 'example.test',
      outboundProxy: '127.0.0.1:5060',
      port: 5060,
      registerRequired: true,
    });
    backend.lastAccount().emit('registered', { expiresSec: 600 });
    await sessionStatus.getByText('Registered').waitFor();
    const stored = await page.evaluate(() => localStorage.getItem('callbridge.phone.account'));
    expect(JSON.parse(stored ?? '{}')).toEqual({
      login: 'alice',
      authenticationName: 'alice-auth',
      domain: 'example.test',
      outboundProxy: '127.0.0.1:5060',
      port: '5060',
    });
    await page.screenshot({ path: `${screenshots}registered.png` });
  });

  it('sends a real WebRTC offer for a voice call and shows the statuses the gateway reports', async () => {
    await page.getByPlaceholder('Enter your number here').fill('10');
    await button(page, '2').click(); // the dial pad types when idle
    await button(page, 'Voice call').click();
    await expect.poll(() => backend.lastAccount().legs.length, { timeout: 10_000 }).toBe(1);
    const request = backend.lastLeg().request!;
    expect(request.callee).toBe('102');
    expect(request.audio).toBe(true);
    expect(request.video).toBe(false);
    if (request.media.kind !== 'webrtc') throw new Error('expected a WebRTC offer');
    expect(request.media.offer.type).toBe('offer');
    expect(request.media.offer.sdp).toMatch(/m=audio .* UDP\/TLS\/RTP\/SAVPF /);
    expect(request.media.offer.sdp).toContain('a=rtpmap:111 opus/48000/2');
    expect(request.media.offer.sdp).toMatch(/a=fingerprint:sha-256 /);
    expect(request.media.offer.sdp).toMatch(/a=candidate:.* 127\.0\.0\.1 /);

    backend.lastLeg().emit('progress', { status: 'RING', sipStatus: 180, sipReason: 'Ringing' });
    await callStatus(page, 'Ringing');
    await expect(button(page, 'Hangup').isEnabled()).resolves.toBe(true);
    await page.screenshot({ path: `${screenshots}ringing.png` });
    backend.lastLeg().emit('ended', { kind: 'busy', sipStatus: 486, sipReason: 'Busy Here' });
    await callStatus(page, 'Failed: busy');
    await expect(button(page, 'Hangup').isEnabled()).resolves.toBe(false);
    await page.screenshot({ path: `${screenshots}busy.png` });
  });

  it('shows SIP failures with their status line', async () => {
    await dial(page, '999');
    await expect.poll(() => backend.lastAccount().legs.length, { timeout: 10_000 }).toBe(2);
    backend.lastLeg().emit('ended', {
      kind: 'failed',
      failure: { reason: 'SIP_ERROR', sipStatus: 404, sipReason: 'Not Found' },
    });
    await callStatus(page, 'Failed: 404 Not Found');
  });

  it('alerts an incoming call with Answer and Reject, and rejects it', async () => {
    const leg = backend.lastAccount().ring({ caller: 'carol' });
    await callStatus(page, /^Incoming call from carol/);
    await expect(button(page, 'Answer').isEnabled()).resolves.toBe(true);
    await page.screenshot({ path: `${screenshots}incoming.png` });
    await button(page, 'Reject').click();
    await expect.poll(() => leg.actions).toEqual([{ op: 'reject', sipStatus: 603 }]);
    await callStatus(page, 'Finished');
  });

  it('offers video for a video call and shows both video elements', async () => {
    const before = backend.lastAccount().legs.length;
    await dial(page, '100', 'Video call');
    await expect
      .poll(() => backend.lastAccount().legs.length, { timeout: 10_000 })
      .toBe(before + 1);
    const request = backend.lastLeg().request!;
    expect(request.video).toBe(true);
    if (request.media.kind !== 'webrtc') throw new Error('expected a WebRTC offer');
    expect(request.media.offer.sdp).toMatch(/m=video .* UDP\/TLS\/RTP\/SAVPF /);
    expect(request.media.offer.sdp).toMatch(/a=rtpmap:\d+ VP8\/90000/);
    await expect(page.getByLabel('Local video').isVisible()).resolves.toBe(true);
    await page.screenshot({ path: `${screenshots}video-call.png` });
    await button(page, 'Hangup').click();
    await callStatus(page, 'Finished');
    expect(backend.lastLeg().actions).toEqual([{ op: 'hangup' }]);
  });

  it('says clearly when the microphone is denied', async () => {
    const p = await phone.openChromium({ mediaPermission: 'denied' });
    try {
      await logIn(p, { login: 'dave', domain: 'example.test' }, 'Connected');
      await dial(p, '100');
      await p.getByRole('alert').getByText('Microphone access was denied').waitFor();
      await callStatus(p, /^Failed: media permission denied/);
      await p.screenshot({ path: `${screenshots}microphone-denied.png` });
    } finally {
      await p.close();
    }
  });

  it('drives the controls of a call the gateway reports established: DTMF pad, hold, mute, transfer', async () => {
    const alice = backend.accounts.find((a) => a.account.login === 'alice')!;
    const before = alice.legs.length;
    await dial(page, '101');
    await expect.poll(() => alice.legs.length, { timeout: 10_000 }).toBe(before + 1);
    const leg = alice.legs.at(-1)!;
    leg.emit('established', { mediaMode: 'relay' });
    await callStatus(page, 'Established');
    await page.getByRole('timer', { name: 'Call duration' }).getByText('00:01').waitFor();

    for (const key of ['1', '#']) await button(page, key).click();
    await expect
      .poll(() => leg.actions.filter((a) => a.op === 'dtmf'))
      .toEqual([
        { op: 'dtmf', digits: '1', type: 'RFC2833' },
        { op: 'dtmf', digits: '#', type: 'RFC2833' },
      ]);
    expect(await page.getByPlaceholder('Enter your number here').inputValue()).toBe('101');

    await button(page, 'Hold').click();
    await callStatus(page, 'On hold');
    await button(page, 'Unhold').click();
    await callStatus(page, 'Established');

    const mute = button(page, 'Mute');
    await mute.click();
    await expect(button(page, 'Unmute').getAttribute('aria-pressed')).resolves.toBe('true');
    expect(await page.evaluate(() => document.querySelector('#mute')?.textContent)).toBe('Unmute');

    await page.getByPlaceholder('Enter your number here').fill('200');
    await button(page, 'Transfer').click();
    await expect
      .poll(() => leg.actions.at(-1))
      .toEqual({ op: 'transfer', target: { kind: 'blind', target: '200' } });
    leg.emit('transferProgress', { sipStatus: 100, sipReason: 'Trying', final: false });
    await callStatus(page, /^Transfer: 100 Trying/);
    // The transferee reports success: the page ends its call (RFC 5589 §6.1).
    leg.emit('transferProgress', { sipStatus: 200, sipReason: 'OK', final: true });
    await callStatus(page, 'Finished');
    expect(
      leg.actions.filter((a) => ['hold', 'unhold', 'hangup'].includes(a.op)).map((a) => a.op),
    ).toEqual(['hold', 'unhold', 'hangup']);
  });
});
