// What a person does on the Phone UI in Firefox (puppeteer-core over WebDriver BiDi); what the
// test reads from the page is in page-probes.ts.
import type { Page } from 'puppeteer-core';
import type { LogInFields } from './phone-harness.js';

/** Polls `read` until `accept` holds, or fails with the last value after `timeoutMs`. */
export async function waitUntil<T>(
  what: string,
  read: () => Promise<T>,
  accept: (value: T) => boolean,
  timeoutMs = 20_000,
  explain?: () => Promise<string>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await read();
  while (!accept(last)) {
    if (Date.now() > deadline)
      throw new Error(
        `timed out waiting for ${what}; last: ${JSON.stringify(last)}${explain ? `\n${await explain()}` : ''}`,
      );
    await new Promise((r) => setTimeout(r, 250));
    last = await read();
  }
  return last;
}

// ------------------------------------------------------------------ the Phone UI in puppeteer

export const aria = (name: string, role: string): string => `::-p-aria(${name}[role="${role}"])`;

export async function click(page: Page, name: string): Promise<void> {
  const button = await page.waitForSelector(aria(name, 'button'), { timeout: 30_000 });
  await button!.click();
  await button!.dispose();
}

export async function fill(page: Page, selector: string, value: string): Promise<void> {
  const field = await page.waitForSelector(selector, { timeout: 30_000 });
  await field!.click({ count: 3 });
  await field!.type(value);
  await field!.dispose();
}

/** Waits until the element with role `status` and the given label shows `text`. */
export async function showsStatus(
  page: Page,
  label: 'Call status' | 'Session status',
  text: string | RegExp,
  timeoutMs = 20_000,
): Promise<void> {
  const pattern =
    typeof text === 'string' ? `^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$` : text.source;
  try {
    await page.waitForFunction(
      (l: string, p: string) =>
        new RegExp(p).test(
          document.querySelector(`[role="status"][aria-label="${l}"]`)?.textContent?.trim() ?? '',
        ),
      { timeout: timeoutMs, polling: 200 },
      label,
      pattern,
    );
  } catch (error) {
    const shown = await page.evaluate(
      (l: string) =>
        document.querySelector(`[role="status"][aria-label="${l}"]`)?.textContent ?? null,
      label,
    );
    const alert = await page.evaluate(() => document.getElementById('error')?.textContent ?? '');
    throw new Error(
      `${label} did not show ${String(text)}; it shows "${shown}" (alert: "${alert}")`,
      {
        cause: error,
      },
    );
  }
}

/** Logs in through the form (fields left out stay as they are); waits until registered. */
export async function logIn(page: Page, fields: LogInFields): Promise<void> {
  await click(page, 'Log in');
  const fillIn = (
    selector: string,
    value: string | number | undefined,
  ): Promise<void> | undefined =>
    value === undefined ? undefined : fill(page, selector, String(value));
  await fillIn(aria('login', 'textbox'), fields.login);
  await fillIn(aria('auth. name', 'textbox'), fields.authName);
  // A password field has no ARIA textbox role.
  await fillIn('#f-password', fields.password);
  await fillIn(aria('domain', 'textbox'), fields.domain);
  await fillIn(aria('outbound proxy', 'textbox'), fields.outboundProxy);
  await fillIn(aria('port', 'spinbutton'), fields.port);
  await click(page, 'log in');
  await showsStatus(page, 'Session status', /Registered/);
}

/** Logs a demo account in (password `<login>-demo`). */
export function logInToDemo(page: Page, login: string, domain: string): Promise<void> {
  return logIn(page, { login, password: `${login}-demo`, domain });
}

export async function dial(
  page: Page,
  number: string,
  button: 'Voice call' | 'Video call',
): Promise<void> {
  await fill(page, 'input[placeholder="Enter your number here"]', number);
  await click(page, button);
}
