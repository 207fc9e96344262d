// Headless Firefox (Debian's firefox-esr) for interop tests, driven over WebDriver BiDi by
// puppeteer-core: stock Firefox cannot be driven by playwright-core (that needs Playwright's own
// patched build), but it speaks BiDi. A fresh profile per launch, fake camera and microphone, and
// every background connection switched off, since the tests run with the network closed.
// Nothing is downloaded; the browser is stopped by PID.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch, type Browser, type Page } from 'puppeteer-core';

export const FIREFOX_EXECUTABLE = '/usr/bin/firefox-esr';

/**
 * Preferences for a test profile (puppeteer adds its own automation defaults under these).
 * Media: the fake devices (a tone and a moving test picture), camera and microphone allowed as
 * if the user had clicked Allow, and loopback candidates gathered, so tests run on 127.0.0.1
 * only. Both are needed: Firefox gathers only its default-route address while a page has no
 * camera or microphone permission (media.navigator.permission.disabled skips the prompt but
 * grants nothing, so it counts as none), and never gathers 127.0.0.1 without
 * media.peerconnection.ice.loopback. A granted permission also shows host addresses as they
 * are instead of mDNS names, as for a user in a call. Network: nothing may phone home while a
 * test runs.
 */
export const FIREFOX_PREFS: Readonly<Record<string, string | number | boolean>> = {
  'media.navigator.streams.fake': true,
  'permissions.default.camera': 1,
  'permissions.default.microphone': 1,
  'media.peerconnection.ice.loopback': true,
  'media.autoplay.default': 0,
  'media.autoplay.blocking_policy': 0,
  // Updates, add-ons, plugins (OpenH264 would be downloaded by the GMP manager).
  'app.update.enabled': false,
  'app.update.auto': false,
  'app.update.disabledForTesting': true,
  'app.normandy.enabled': false,
  'app.normandy.api_url': '',
  'app.shield.optoutstudies.enabled': false,
  'extensions.update.enabled': false,
  'extensions.getAddons.cache.enabled': false,
  'extensions.systemAddon.update.enabled': false,
  'media.gmp-manager.updateEnabled': false,
  'media.gmp-manager.url': 'data:text/plain,',
  'media.gmp-gmpopenh264.autoupdate': false,
  'media.gmp-widevinecdm.enabled': false,
  'media.eme.enabled': false,
  // Telemetry and reporting.
  'toolkit.telemetry.enabled': false,
  'toolkit.telemetry.unified': false,
  'toolkit.telemetry.archive.enabled': false,
  'toolkit.telemetry.server': 'data:,',
  'datareporting.policy.dataSubmissionEnabled': false,
  'datareporting.healthreport.uploadEnabled': false,
  'browser.crashReports.unsubmittedCheck.enabled': false,
  'browser.tabs.crashReporting.sendReport': false,
  // Safe browsing, captive portal, connectivity checks, remote settings, push, prefetching.
  'browser.safebrowsing.malware.enabled': false,
  'browser.safebrowsing.phishing.enabled': false,
  'browser.safebrowsing.downloads.enabled': false,
  'browser.safebrowsing.downloads.remote.enabled': false,
  'browser.safebrowsing.blockedURIs.enabled': false,
  'browser.safebrowsing.provider.mozilla.updateURL': '',
  'browser.safebrowsing.provider.google4.updateURL': '',
  'network.captive-portal-service.enabled': false,
  'network.connectivity-service.enabled': false,
  'captivedetect.canonicalURL': '',
  'services.settings.server': 'data:,#remote-settings-dummy/v1',
  'dom.push.enabled': false,
  'dom.push.connection.enabled': false,
  'network.prefetch-next': false,
  'network.dns.disablePrefetch': true,
  'network.http.speculative-parallel-limit': 0,
  'network.predictor.enabled': false,
  'browser.search.update': false,
  'browser.newtabpage.enabled': false,
  'browser.newtabpage.activity-stream.feeds.system.topstories': false,
  'browser.newtabpage.activity-stream.feeds.snippets': false,
  'browser.ping-centre.telemetry': false,
  'browser.region.network.url': '',
  'browser.region.update.enabled': false,
  'geo.provider.network.url': '',
  'security.OCSP.enabled': 0,
  'security.remote_settings.crlite_filters.enabled': false,
  'security.remote_settings.intermediates.enabled': false,
  'browser.contentblocking.report.monitor.enabled': false,
  'identity.fxaccounts.enabled': false,
  'messaging-system.rsexperimentloader.enabled': false,
  'browser.discovery.enabled': false,
  'network.trr.mode': 5,
};

export interface LaunchedFirefox {
  readonly browser: Browser;
  /** The browser's process id (close() ends it by this id if it outlives the BiDi close). */
  readonly pid: number;
  /** The profile directory, removed by close(). */
  readonly profileDir: string;
  /** A new tab. */
  newPage(): Promise<Page>;
  /** Closes the browser, makes sure its process is gone, and removes the profile directory. */
  close(): Promise<void>;
}

export interface LaunchFirefoxOptions {
  /** Launch timeout in milliseconds (default 60000: Firefox starts slowly on a busy machine). */
  readonly timeoutMs?: number;
  /** Extra preferences on top of FIREFOX_PREFS. */
  readonly prefs?: Readonly<Record<string, string | number | boolean>>;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Launches headless Firefox with a fresh profile; always call close() (e.g. in afterAll). */
export async function launchFirefox(options: LaunchFirefoxOptions = {}): Promise<LaunchedFirefox> {
  const profileDir = mkdtempSync(join(tmpdir(), 'callbridge-firefox-'));
  let browser: Browser;
  try {
    browser = await launch({
      browser: 'firefox',
      executablePath: FIREFOX_EXECUTABLE,
      headless: true,
      userDataDir: profileDir,
      extraPrefsFirefox: { ...FIREFOX_PREFS, ...options.prefs },
      timeout: options.timeoutMs ?? 60_000,
      protocolTimeout: 120_000,
      defaultViewport: { width: 390, height: 844 },
      // The sessions' own environment may name a display; headless needs none.
      env: { ...process.env, MOZ_HEADLESS: '1', MOZ_CRASHREPORTER_DISABLE: '1' },
    });
  } catch (error) {
    rmSync(profileDir, { recursive: true, force: true });
    throw error;
  }
  const pid = browser.process()?.pid;
  if (pid === undefined) {
    await browser.close();
    rmSync(profileDir, { recursive: true, force: true });
    throw new Error('Firefox started without a process id');
  }
  let closed = false;
  return {
    browser,
    pid,
    profileDir,
    newPage: () => browser.newPage(),
    async close() {
      if (closed) return;
      closed = true;
      try {
        await Promise.race([browser.close(), new Promise((r) => setTimeout(r, 10_000))]);
      } catch {
        // the process is ended below
      }
      if (alive(pid)) {
        process.kill(pid, 'SIGKILL');
        const deadline = Date.now() + 5_000;
        while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      }
      rmSync(profileDir, { recursive: true, force: true });
    },
  };
}
