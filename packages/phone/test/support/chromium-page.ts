// What a person does on the Phone UI in Chromium (playwright-core); what the test reads from the
// page is in page-probes.ts.
import type { Locator, Page } from 'playwright-core';
import type { LogInFields } from './phone-harness.js';

/** The button with exactly this accessible name. */
export function button(page: Page, name: string): Locator {
  return page.getByRole('button', { name, exact: true });
}

/**
 * Logs in through the form (fields left out stay as they are) and waits until the session
 * status shows `until`: `Registered` when the account registers, `Connected` before that.
 */
export async function logIn(
  page: Page,
  fields: LogInFields,
  until: 'Registered' | 'Connected' = 'Registered',
): Promise<void> {
  await button(page, 'Log in').click();
  const fill = (label: string, value: string | number | undefined): Promise<void> | undefined =>
    value === undefined ? undefined : page.getByLabel(label, { exact: true }).fill(String(value));
  await fill('login', fields.login);
  await fill('auth. name', fields.authName);
  await fill('password', fields.password);
  await fill('domain', fields.domain);
  await fill('outbound proxy', fields.outboundProxy);
  await fill('port', fields.port);
  await button(page, 'log in').click();
  await page
    .getByRole('status', { name: 'Session status' })
    .getByText(until, { exact: true })
    .waitFor({ timeout: 10_000 });
}

/** Logs a demo account in (password `<login>-demo`) and waits until it is registered. */
export function logInToDemo(page: Page, login: string, domain: string): Promise<void> {
  return logIn(page, { login, password: `${login}-demo`, domain });
}

/** Waits until the call status (role `status`, "Call status") shows `text`. */
export function callStatus(page: Page, text: string | RegExp, timeout = 15_000): Promise<void> {
  return page
    .getByRole('status', { name: 'Call status' })
    .getByText(text, { exact: typeof text === 'string' })
    .waitFor({ timeout });
}

/** Types `number` and presses the call button. */
export async function dial(
  page: Page,
  number: string,
  call: 'Voice call' | 'Video call' = 'Voice call',
): Promise<void> {
  await page.getByPlaceholder('Enter your number here').fill(number);
  await button(page, call).click();
}

/** The level meter of the call's received audio (0 to 1). */
export function audioLevel(page: Page): Promise<number> {
  return page.locator('#level').evaluate((meter) => (meter as HTMLMeterElement).value);
}
