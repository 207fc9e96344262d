// What a person does on the Phone UI against the embedded demo, shared by the browser tests.
import type { Page } from 'playwright-core';

/** Logs a demo account in (password `<login>-demo`) and waits until it is registered. */
export async function logInToDemo(page: Page, login: string, domain: string): Promise<void> {
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  await page.getByLabel('login', { exact: true }).fill(login);
  await page.getByLabel('password', { exact: true }).fill(`${login}-demo`);
  await page.getByLabel('domain', { exact: true }).fill(domain);
  await page.getByRole('button', { name: 'log in', exact: true }).click();
  await page
    .getByRole('status', { name: 'Session status' })
    .getByText('Registered')
    .waitFor({ timeout: 10_000 });
}

/** Waits until the call status (role `status`, "Call status") shows `text`. */
export function callStatus(page: Page, text: string | RegExp, timeout = 15_000): Promise<void> {
  return page
    .getByRole('status', { name: 'Call status' })
    .getByText(text, { exact: typeof text === 'string' })
    .waitFor({ timeout });
}
