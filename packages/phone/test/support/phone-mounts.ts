// What a gateway started in a test serves: the Phone UI, its built script and the built SDK.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = (relative: string): string => fileURLToPath(new URL(relative, import.meta.url));

export const PHONE_MOUNTS = {
  '/': dir('../../web/'),
  '/app/': dir('../../dist/'),
  '/sdk/': dir('../../../client/dist/'),
};

/** Throws unless the Phone UI and the SDK have been built (`npm run build`). */
export function requireBuiltPhone(): void {
  for (const built of [`${PHONE_MOUNTS['/app/']}main.js`, `${PHONE_MOUNTS['/sdk/']}index.js`]) {
    if (!existsSync(built)) throw new Error(`${built} is missing: run \`npm run build\` first`);
  }
}
