// Helpers for tests that talk to real peers on 127.0.0.1. Each test starts the peers it needs and
// stops them by PID; outside CI a missing peer skips the test with the Debian package to install,
// in CI (CI=true) a missing peer is a failure.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const LOOPBACK = '127.0.0.1';

const commandCache = new Map<string, boolean>();

/** Whether an executable is on PATH (or is an existing absolute path). */
export function hasCommand(command: string): boolean {
  let found = commandCache.get(command);
  if (found === undefined) {
    found = spawnSync('sh', ['-c', `command -v ${JSON.stringify(command)}`]).status === 0;
    commandCache.set(command, found);
  }
  return found;
}

export interface PeerRequirement {
  /** Executable that must be on PATH. */
  readonly command: string;
  /** Debian package that provides it, named in the skip message. */
  readonly debianPackage: string;
  /** A file the package installs that must exist too (a plug-in module, not an executable). */
  readonly file?: string;
}

/**
 * Decides whether a test that needs real peers runs. Use as
 * `describe.skipIf(needsPeers(...).skip)(...)`. In CI a missing peer throws, so CI can never
 * pass by skipping.
 */
export function needsPeers(...requirements: PeerRequirement[]): { skip: boolean; reason: string } {
  const missing = requirements.filter(
    (r) => !hasCommand(r.command) || (r.file !== undefined && !existsSync(r.file)),
  );
  if (missing.length === 0) return { skip: false, reason: '' };
  const reason = `missing peer(s): ${missing.map((m) => `${m.file ?? m.command} (apt-get install ${m.debianPackage})`).join(', ')}`;
  if (process.env['CI']) throw new Error(`${reason}; .ci/apt-packages.txt must install them`);
  console.warn(`skipping: ${reason}`);
  return { skip: true, reason };
}

/** Where Debian installs Kamailio's modules (conformance/kamailio/kamailio.cfg's mpath). */
const KAMAILIO_MODULES = '/usr/lib/x86_64-linux-gnu/kamailio/modules';

export const PEERS = {
  chromium: { command: '/usr/bin/chromium', debianPackage: 'chromium' },
  firefox: { command: '/usr/bin/firefox-esr', debianPackage: 'firefox-esr' },
  kamailio: { command: 'kamailio', debianPackage: 'kamailio' },
  kamailioTls: {
    command: 'kamailio',
    debianPackage: 'kamailio-tls-modules',
    file: `${KAMAILIO_MODULES}/tls.so`,
  },
  kamailioWebSocket: {
    command: 'kamailio',
    debianPackage: 'kamailio-websocket-modules',
    file: `${KAMAILIO_MODULES}/websocket.so`,
  },
  baresip: { command: 'baresip', debianPackage: 'baresip-core' },
  sipp: { command: 'sipp', debianPackage: 'sip-tester' },
  openssl: { command: 'openssl', debianPackage: 'openssl' },
  sox: { command: 'sox', debianPackage: 'sox' },
  cc: { command: 'cc', debianPackage: 'gcc' },
  pkgConfig: { command: 'pkg-config', debianPackage: 'pkg-config' },
} as const satisfies Record<string, PeerRequirement>;

export interface StartOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Resolves once this pattern appears on stdout or stderr. */
  readonly readyPattern?: RegExp;
  /** Polled until it returns true (alternative or addition to readyPattern). */
  readonly readyCheck?: () => Promise<boolean>;
  readonly timeoutMs?: number;
}

export interface RunningProcess {
  readonly pid: number;
  readonly child: ChildProcess;
  /** Everything the process printed so far (stdout and stderr interleaved). */
  output(): string;
  /** Resolves when the pattern appears in the output (including output already seen). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** SIGTERM by PID, then SIGKILL after a grace period; resolves when the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

const running = new Set<RunningProcess>();
process.once('exit', () => {
  for (const p of running) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

/** Starts a peer process and waits until it is ready. */
export async function startProcess(
  command: string,
  args: readonly string[],
  options: StartOptions = {},
): Promise<RunningProcess> {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer): void => {
    output += chunk.toString('utf8');
    for (const l of listeners) l();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  let exited = false;
  const exitPromise = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      for (const l of listeners) l();
      resolve();
    });
  });
  const spawnError = await new Promise<Error | undefined>((resolve) => {
    child.once('error', resolve);
    child.once('spawn', () => resolve(undefined));
  });
  if (spawnError || child.pid === undefined) {
    throw new Error(`could not start ${command}: ${spawnError?.message ?? 'no pid'}`);
  }
  const pid = child.pid;

  const waitFor = (pattern: RegExp, timeoutMs = 10_000): Promise<void> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        if (pattern.test(output)) {
          cleanup();
          resolve();
        } else if (exited) {
          cleanup();
          reject(new Error(`${command} exited before printing ${pattern}; output:\n${output}`));
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(
          new Error(
            `${command} did not print ${pattern} within ${timeoutMs} ms; output:\n${output}`,
          ),
        );
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        listeners.delete(check);
      };
      listeners.add(check);
      check();
    });

  const handle: RunningProcess = {
    pid,
    child,
    output: () => output,
    waitFor,
    async stop(graceMs = 3000) {
      running.delete(handle);
      if (exited) return;
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        return;
      }
      const killTimer = setTimeout(() => {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }, graceMs);
      await exitPromise;
      clearTimeout(killTimer);
    },
  };
  running.add(handle);

  const timeoutMs = options.timeoutMs ?? 15_000;
  try {
    if (options.readyPattern) await waitFor(options.readyPattern, timeoutMs);
    if (options.readyCheck) {
      const deadline = Date.now() + timeoutMs;
      while (!(await options.readyCheck())) {
        if (exited) throw new Error(`${command} exited during start-up; output:\n${output}`);
        if (Date.now() > deadline)
          throw new Error(`${command} not ready within ${timeoutMs} ms; output:\n${output}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  } catch (error) {
    await handle.stop(500);
    throw error;
  }
  return handle;
}

/** A port that was free on 127.0.0.1 a moment ago (the OS picks it). */
export async function freePort(kind: 'udp' | 'tcp' = 'udp'): Promise<number> {
  if (kind === 'tcp') {
    return new Promise((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, LOOPBACK, () => {
        const address = server.address();
        server.close(() => {
          if (address && typeof address === 'object') resolve(address.port);
          else reject(new Error('no port'));
        });
      });
    });
  }
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.once('error', reject);
    socket.bind(0, LOOPBACK, () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    });
  });
}

/** True once something has bound the UDP `port` on 127.0.0.1 (a readiness check for SIPp and the like). */
export function udpPortBound(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createSocket('udp4');
    probe.once('error', () => resolve(true));
    probe.bind(port, LOOPBACK, () => probe.close(() => resolve(false)));
  });
}

export interface TempDir {
  readonly path: string;
  file(name: string): string;
  remove(): void;
}

/** A fresh directory under the OS temp dir. */
export function tempDir(prefix: string): TempDir {
  const path = mkdtempSync(join(tmpdir(), `callbridge-${prefix}-`));
  return {
    path,
    file: (name) => join(path, name),
    remove: () => rmSync(path, { recursive: true, force: true }),
  };
}

/**
 * A self-signed P-256 certificate for 127.0.0.1 (named in subjectAltName, as TLS name checks
 * want), made by openssl in `dir`: the paths of its PEM files.
 */
export function selfSignedCertificate(dir: TempDir): { cert: string; key: string } {
  const cert = dir.file('cert.pem');
  const key = dir.file('key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  return { cert, key };
}

export {
  CHROMIUM_ARGS,
  CHROMIUM_EXECUTABLE,
  CHROMIUM_TEST_ORIGIN,
  launchChromium,
  openPackagePage,
  type PackagePage,
  type PackagePageOptions,
  type LaunchChromiumOptions,
  type LaunchedChromium,
} from './chromium.js';
export {
  FIREFOX_EXECUTABLE,
  FIREFOX_PREFS,
  launchFirefox,
  type LaunchFirefoxOptions,
  type LaunchedFirefox,
} from './firefox.js';
export { ManualClock, type ManualTimer } from './manual-clock.js';
export {
  measureWav,
  startBaresip,
  startKamailio,
  type Baresip,
  type BaresipOptions,
  type Kamailio,
  type Recording,
  type RecordingMark,
  type RelayedSdp,
} from './sip-peers.js';
export {
  RUNNABLE_MARKER,
  normalizeOutput,
  readmeExamples,
  runReadmeExample,
  type ReadmeExample,
} from './readme.js';
