// Headless Chromium for interop tests, launched with exactly the flags that are known to work on
// this kind of machine (shared/peers/README.md): a persistent profile in a fresh temp dir, fake
// camera and microphone, and loopback ICE candidates allowed. Nothing is downloaded.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import ts from 'typescript';

export const CHROMIUM_EXECUTABLE = '/usr/bin/chromium';

export const CHROMIUM_ARGS: readonly string[] = [
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

/** The origin test pages are served from; localhost is a secure context, so getUserMedia works. */
export const CHROMIUM_TEST_ORIGIN = 'http://localhost/';

export interface LaunchedChromium {
  readonly context: BrowserContext;
  /** The profile directory, removed by close(). */
  readonly profileDir: string;
  /**
   * A new page on CHROMIUM_TEST_ORIGIN, answered inside the browser (no server, no network), so
   * navigator.mediaDevices and RTCPeerConnection are available.
   */
  newPage(html?: string): Promise<Page>;
  /** Closes the browser and removes the profile directory. */
  close(): Promise<void>;
}

export interface LaunchChromiumOptions {
  /** Launch timeout in milliseconds (default 30000). */
  readonly timeoutMs?: number;
  /**
   * What the browser answers when a page asks for camera or microphone: `granted` (the default,
   * `--use-fake-ui-for-media-stream`) or `denied` (`--deny-permission-prompts`), as when a
   * person refuses.
   */
  readonly mediaPermission?: 'granted' | 'denied';
}

/** Launches headless Chromium with a fresh profile; always call close() (e.g. in afterAll). */
export async function launchChromium(
  options: LaunchChromiumOptions = {},
): Promise<LaunchedChromium> {
  const profileDir = mkdtempSync(join(tmpdir(), 'callbridge-chromium-'));
  let context: BrowserContext;
  try {
    // The profile goes as the first argument, not as --user-data-dir (see the peers README).
    context = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM_EXECUTABLE,
      headless: true,
      args:
        options.mediaPermission === 'denied'
          ? CHROMIUM_ARGS.map((arg) =>
              arg === '--use-fake-ui-for-media-stream' ? '--deny-permission-prompts' : arg,
            )
          : [...CHROMIUM_ARGS],
      timeout: options.timeoutMs ?? 30_000,
    });
  } catch (error) {
    rmSync(profileDir, { recursive: true, force: true });
    throw error;
  }
  let closed = false;
  return {
    context,
    profileDir,
    async newPage(html = '<!doctype html><title>callbridge test</title>') {
      const page = await context.newPage();
      await page.route(`${CHROMIUM_TEST_ORIGIN}**`, (route) =>
        route.fulfill({ status: 200, contentType: 'text/html', body: html }),
      );
      await page.goto(CHROMIUM_TEST_ORIGIN);
      return page;
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        await context.close();
      } finally {
        rmSync(profileDir, { recursive: true, force: true });
      }
    },
  };
}

/** What {@link openPackagePage} loads. */
export interface PackagePageOptions {
  /** The workspace's `packages/` directory. */
  readonly packagesDir: string;
  /** The page's import map: bare specifier → `/pkg/<name>/<file>.js`. */
  readonly imports: Readonly<Record<string, string>>;
  /** The specifier the page imports. */
  readonly entry: string;
  /** The global the loaded module is put in (`<global>Error` gets the load error instead). */
  readonly global: string;
}

/** A page that has loaded a package entry from sources (see {@link openPackagePage}). */
export interface PackagePage {
  readonly page: Page;
  /** Each source file the page fetched, as `<name>/<file>`, in order. */
  readonly served: readonly string[];
  /** Why the entry failed to load (e.g. a Node import), or undefined when it loaded. */
  readonly loadError: string | undefined;
}

/**
 * Opens a page that imports a package entry the way a browser loads an unbundled build: the
 * workspace's `packages/<name>/src/<file>.ts` served at `/pkg/<name>/<file>.js` under
 * CHROMIUM_TEST_ORIGIN, transpiled file by file, resolved through an import map. Resolves once
 * the entry has loaded (into `globalThis[options.global]`) or failed.
 */
export async function openPackagePage(
  browser: LaunchedChromium,
  options: PackagePageOptions,
): Promise<PackagePage> {
  const { packagesDir, imports, entry, global } = options;
  const html = `<!doctype html><title>${entry}</title>
<script type="importmap">${JSON.stringify({ imports })}</script>
<script type="module">
  import(${JSON.stringify(entry)}).then(
    (module) => { globalThis[${JSON.stringify(global)}] = module; },
    (error) => { globalThis[${JSON.stringify(`${global}Error`)}] = String(error); },
  );
</script>`;
  const served: string[] = [];
  const page = await browser.context.newPage();
  await page.route(CHROMIUM_TEST_ORIGIN, (route) =>
    route.fulfill({ status: 200, contentType: 'text/html', body: html }),
  );
  await page.route(`${CHROMIUM_TEST_ORIGIN}pkg/**`, async (route) => {
    const match = /^\/pkg\/([a-z0-9-]+)\/([\w-]+)\.js$/.exec(
      new URL(route.request().url()).pathname,
    );
    if (!match) return route.fulfill({ status: 404 });
    const [, name, file] = match;
    served.push(`${name}/${file}`);
    const source = readFileSync(join(packagesDir, name!, 'src', `${file!}.ts`), 'utf8');
    const { outputText } = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 },
    });
    return route.fulfill({ status: 200, contentType: 'text/javascript', body: outputText });
  });
  await page.goto(CHROMIUM_TEST_ORIGIN);
  const errorGlobal = `${global}Error`;
  await page.waitForFunction(
    ([g, e]) => g! in globalThis || e! in globalThis,
    [global, errorGlobal],
  );
  const loadError = await page.evaluate(
    (e) => (globalThis as unknown as Record<string, string | undefined>)[e],
    errorGlobal,
  );
  return { page, served, loadError };
}
