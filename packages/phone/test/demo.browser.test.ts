// The Phone UI against `callbridge` in its default mode (what `npm start` runs): the built CLI
// as a process, with the embedded demo SIP server and demo numbers, and no external peers.
// The CLI must report its B2BUA core ready and the demo running.
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import { PEERS, needsPeers, startProcess, tempDir } from '@callbridge/testkit';
import type { RunningProcess, TempDir } from '@callbridge/testkit';
import { callStatus, logInToDemo } from './support/demo-page.js';

const cli = fileURLToPath(new URL('../../gateway/dist/cli.js', import.meta.url));
const screenshots = fileURLToPath(new URL('../../../test-results/phone-demo/', import.meta.url));

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--allow-loopback-in-peer-connection',
];

const API_TOKEN = 'demo-test-token-0123456789';

interface Info {
  backend: 'ready' | 'absent';
  demo: { domain: string; accounts: string[] } | null;
}

describe.skipIf(needsPeers(PEERS.chromium).skip)('Phone UI against the embedded demo', () => {
  let gateway: RunningProcess;
  let url: string;
  let info: Info;
  const profiles: TempDir[] = [];
  const contexts: BrowserContext[] = [];

  async function openPhone(): Promise<Page> {
    const profile = tempDir('phone-demo');
    profiles.push(profile);
    const context = await chromium.launchPersistentContext(profile.path, {
      executablePath: PEERS.chromium.command,
      headless: true,
      viewport: { width: 390, height: 844 },
      args: CHROMIUM_ARGS,
    });
    contexts.push(context);
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(`${url}/`);
    return page;
  }

  function logIn(page: Page, login: string): Promise<void> {
    return logInToDemo(page, login, info.demo?.domain ?? '');
  }

  async function dial(
    page: Page,
    number: string,
    button: 'Voice call' | 'Video call' = 'Voice call',
  ): Promise<void> {
    await page.getByPlaceholder('Enter your number here').fill(number);
    await page.getByRole('button', { name: button, exact: true }).click();
  }

  beforeAll(async () => {
    if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` first`);
    mkdirSync(screenshots, { recursive: true });
    gateway = await startProcess(process.execPath, [cli, '--listen-port', '0'], {
      env: { ...process.env, CALLBRIDGE_API_TOKENS: API_TOKEN },
      readyPattern: /"msg":"gateway listening"/,
    });
    const line = gateway
      .output()
      .split('\n')
      .find((l) => l.includes('"gateway listening"'))!;
    url = (JSON.parse(line) as { url: string }).url;
    info = (await (await fetch(`${url}/api/info`)).json()) as Info;
  });

  afterAll(async () => {
    for (const c of contexts) await c.close();
    for (const p of profiles) p.remove();
    await gateway?.stop();
  });

  it('calls the echo number: Established, audio comes back, hold/unhold, hangup', async () => {
    expect(info.backend).toBe('ready');
    expect(info.demo).toBeTruthy();
    const page = await openPhone();
    await logIn(page, 'alice');
    await dial(page, '100');
    await callStatus(page, 'Established');
    // The fake microphone beeps; the echo number sends it back: the level meter moves.
    await expect
      .poll(() => page.locator('#level').evaluate((m) => (m as HTMLMeterElement).value), {
        timeout: 10_000,
      })
      .toBeGreaterThan(0);
    await page.screenshot({ path: `${screenshots}echo-established.png` });
    await page.getByRole('button', { name: '1', exact: true }).click();
    await page.getByRole('button', { name: 'Hold', exact: true }).click();
    await callStatus(page, 'On hold');
    await page.getByRole('button', { name: 'Unhold', exact: true }).click();
    await callStatus(page, 'Established');
    await page.getByRole('button', { name: 'Hangup', exact: true }).click();
    await callStatus(page, 'Finished');
  });

  it('shows busy, early media, and a number that does not exist', async () => {
    expect(info.backend).toBe('ready');
    expect(info.demo).toBeTruthy();
    const page = await openPhone();
    await logIn(page, 'alice');
    await dial(page, '102');
    await callStatus(page, 'Failed: busy');
    await page.screenshot({ path: `${screenshots}busy.png` });
    await dial(page, '104');
    await callStatus(page, 'Ringing (early media)');
    await callStatus(page, 'Established');
    await page.getByRole('button', { name: 'Hangup', exact: true }).click();
    await callStatus(page, 'Finished');
    await dial(page, '199');
    await callStatus(page, /^Failed: 4\d\d /);
    await page.screenshot({ path: `${screenshots}not-found.png` });
  });

  it('lets alice call bob: bob answers in his page, both see Established', async () => {
    expect(info.backend).toBe('ready');
    expect(info.demo).toBeTruthy();
    const alice = await openPhone();
    const bob = await openPhone();
    await logIn(alice, 'alice');
    await logIn(bob, 'bob');
    await dial(alice, 'bob');
    await callStatus(bob, /^Incoming call from /);
    await bob.getByRole('button', { name: 'Answer', exact: true }).click();
    await callStatus(bob, 'Established');
    await callStatus(alice, 'Established');
    await expect
      .poll(() => bob.locator('#level').evaluate((m) => (m as HTMLMeterElement).value), {
        timeout: 10_000,
      })
      .toBeGreaterThan(0);
    await bob.screenshot({ path: `${screenshots}bob-established.png` });
    await alice.getByRole('button', { name: 'Hangup', exact: true }).click();
    await callStatus(bob, 'Finished');
  });

  async function rest(
    path: string,
    body: unknown,
  ): Promise<{ status: number; json: Record<string, unknown> }> {
    const response = await fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${API_TOKEN}` },
      body: JSON.stringify(body),
    });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  }

  it('click-to-call: the REST API makes the logged-in page call the echo number', async ({
    skip,
  }) => {
    if (info.backend !== 'ready' || !info.demo)
      skip('the B2BUA core is not wired into the CLI yet (backend absent)');
    const page = await openPhone();
    await logIn(page, 'bob');
    const found = await rest('/session/find', { login: 'bob', status: 'REGISTERED' });
    // Earlier tests' pages are still logged in: this page's session is the newest.
    const sessions = (found.json['sessions'] as { id: string; createdAt: string }[]).sort((a, b) =>
      a.createdAt.localeCompare(b.createdAt),
    );
    expect(sessions.length).toBeGreaterThan(0);
    const started = await rest('/call/startup', {
      sessionId: sessions.at(-1)!.id,
      callee: '100',
      callId: 'click-to-call-1',
    });
    expect(started).toMatchObject({ status: 200, json: { call: { id: 'click-to-call-1' } } });
    await callStatus(page, 'Established');
    await expect
      .poll(() => page.locator('#level').evaluate((m) => (m as HTMLMeterElement).value), {
        timeout: 10_000,
      })
      .toBeGreaterThan(0);
    expect(await rest('/call/find', { id: 'click-to-call-1' })).toMatchObject({
      json: { calls: [{ status: 'ESTABLISHED' }] },
    });
    expect(await rest('/call/terminate', { callId: 'click-to-call-1' })).toMatchObject({
      status: 200,
      json: { call: { status: 'FINISH' } },
    });
    await callStatus(page, 'Finished');
  });
});
