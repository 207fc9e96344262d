// The Phone UI against `callbridge` in its default mode (what `npm start` runs): the built CLI
// as a process, with the embedded demo SIP server and demo numbers, and no external peers.
// The CLI must report its B2BUA core ready and the demo running.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { PEERS, needsPeers } from '@callbridge/testkit';
import { audioLevel, button, callStatus, dial, logInToDemo } from './support/chromium-page.js';
import { startPhone, type PhoneHarness } from './support/phone-harness.js';

describe.skipIf(needsPeers(PEERS.chromium).skip)('Phone UI against the embedded demo', () => {
  let phone: PhoneHarness;
  let screenshots: string;

  beforeAll(async () => {
    phone = await startPhone({ results: 'phone-demo', cli: true, demo: true });
    screenshots = phone.results;
  });

  afterAll(() => phone?.stop());

  function logIn(page: Page, login: string): Promise<void> {
    return logInToDemo(page, login, phone.info.demo?.domain ?? '');
  }

  /** The demo must run with the B2BUA core in front of it. */
  async function openPhone(): Promise<Page> {
    expect(phone.info.backend).toBe('ready');
    expect(phone.info.demo).toBeTruthy();
    return phone.openChromium();
  }

  /** The level meter moves: audio comes back (the fake microphone beeps). */
  async function expectAudio(page: Page): Promise<void> {
    await expect.poll(() => audioLevel(page), { timeout: 10_000 }).toBeGreaterThan(0);
  }

  it('calls the echo number: Established, audio comes back, hold/unhold, hangup', async () => {
    const page = await openPhone();
    await logIn(page, 'alice');
    await dial(page, '100');
    await callStatus(page, 'Established');
    // The echo number sends the fake microphone's beeps back.
    await expectAudio(page);
    await page.screenshot({ path: `${screenshots}echo-established.png` });
    await button(page, '1').click();
    await button(page, 'Hold').click();
    await callStatus(page, 'On hold');
    await button(page, 'Unhold').click();
    await callStatus(page, 'Established');
    await button(page, 'Hangup').click();
    await callStatus(page, 'Finished');
  });

  it('shows busy, early media, and a number that does not exist', async () => {
    const page = await openPhone();
    await logIn(page, 'alice');
    await dial(page, '102');
    await callStatus(page, 'Failed: busy');
    await page.screenshot({ path: `${screenshots}busy.png` });
    await dial(page, '104');
    await callStatus(page, 'Ringing (early media)');
    await callStatus(page, 'Established');
    await button(page, 'Hangup').click();
    await callStatus(page, 'Finished');
    await dial(page, '199');
    await callStatus(page, /^Failed: 4\d\d /);
    await page.screenshot({ path: `${screenshots}not-found.png` });
  });

  it('lets alice call bob: bob answers in his page, both see Established', async () => {
    const alice = await openPhone();
    const bob = await openPhone();
    await logIn(alice, 'alice');
    await logIn(bob, 'bob');
    await dial(alice, 'bob');
    await callStatus(bob, /^Incoming call from /);
    await button(bob, 'Answer').click();
    await callStatus(bob, 'Established');
    await callStatus(alice, 'Established');
    await expectAudio(bob);
    await bob.screenshot({ path: `${screenshots}bob-established.png` });
    await button(alice, 'Hangup').click();
    await callStatus(bob, 'Finished');
  });

  it('click-to-call: the REST API makes the logged-in page call the echo number', async () => {
    const page = await openPhone();
    await logIn(page, 'bob');
    const found = await phone.rest('/session/find', { login: 'bob', status: 'REGISTERED' });
    // Earlier tests' pages are still logged in: this page's session is the newest.
    const sessions = (found.json['sessions'] as { id: string; createdAt: string }[]).sort((a, b) =>
      a.createdAt.localeCompare(b.createdAt),
    );
    expect(sessions.length).toBeGreaterThan(0);
    const started = await phone.rest('/call/startup', {
      sessionId: sessions.at(-1)!.id,
      callee: '100',
      callId: 'click-to-call-1',
    });
    expect(started).toMatchObject({ status: 200, json: { call: { id: 'click-to-call-1' } } });
    await callStatus(page, 'Established');
    await expectAudio(page);
    expect(await phone.rest('/call/find', { id: 'click-to-call-1' })).toMatchObject({
      json: { calls: [{ status: 'ESTABLISHED' }] },
    });
    expect(await phone.rest('/call/terminate', { callId: 'click-to-call-1' })).toMatchObject({
      status: 200,
      json: { call: { status: 'FINISH' } },
    });
    await callStatus(page, 'Finished');
  });
});
