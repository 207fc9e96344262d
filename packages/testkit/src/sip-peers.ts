// Real SIP peers for tests, on 127.0.0.1 only: Kamailio with digest authentication as the SIP
// server (conformance/kamailio/kamailio.cfg) and baresip as a phone (conformance/baresip/). Each
// starts from its committed configuration with free ports filled in and is stopped by PID.
import { execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LOOPBACK, freePort, startProcess, tempDir, type RunningProcess } from './index.js';

/** A file under the repository's conformance/ folder (same depth from src/ and dist/). */
const conformance = (path: string): string =>
  fileURLToPath(new URL(`../../../conformance/${path}`, import.meta.url));

/** An SDP body Kamailio relayed, with the first line of its log entry. */
export interface RelayedSdp {
  readonly kind: 'REQUEST' | 'REPLY';
  readonly head: string;
  readonly body: string;
}

export interface KamailioOptions {
  /** UDP and TCP port (default: a free one). */
  readonly port?: number;
  /** Also listen for SIP over TLS on a free port with this certificate and key (PEM files). */
  readonly tls?: { readonly cert: string; readonly key: string };
  /** Also listen for SIP over WebSocket (RFC 7118, plain ws) on a free port. */
  readonly ws?: boolean;
}

export interface Kamailio {
  /** The UDP and TCP port. */
  readonly port: number;
  /** The TLS port, when started with `tls`. */
  readonly tlsPort: number | undefined;
  /** The WebSocket port, when started with `ws`. */
  readonly wsPort: number | undefined;
  readonly process: RunningProcess;
  /** SDP bodies Kamailio relayed (requests and replies), in order. */
  sdps(): RelayedSdp[];
  stop(): Promise<void>;
}

/**
 * Starts Kamailio on UDP+TCP `port` (default: a free one), and on TLS and WebSocket listeners
 * when asked (the tls and websocket modules: Debian's kamailio-tls-modules and
 * kamailio-websocket-modules). Accounts (authentication name / password → user): gateway, phone,
 * phone2, second (password `<name>-secret`), and browser-auth / browser-secret → browser.
 */
export async function startKamailio(options: KamailioOptions = {}): Promise<Kamailio> {
  const port = options.port ?? (await freePort());
  const tlsPort = options.tls ? await freePort() : undefined;
  const wsPort = options.ws ? await freePort() : undefined;
  const dir = tempDir('kamailio');
  const config = readFileSync(conformance('kamailio/kamailio.cfg'), 'utf8')
    .replaceAll('LISTEN_PORT', String(port))
    .replaceAll('TLS_PORT', String(tlsPort ?? 0))
    .replaceAll('WS_PORT', String(wsPort ?? 0))
    .replaceAll('TLS_CERT', options.tls?.cert ?? '')
    .replaceAll('TLS_KEY', options.tls?.key ?? '');
  writeFileSync(dir.file('kamailio.cfg'), config);
  const defines = [
    ...(options.tls ? ['-A', 'WITH_TLS'] : []),
    ...(options.ws ? ['-A', 'WITH_WS'] : []),
  ];
  try {
    const process = await startProcess(
      'kamailio',
      [
        '-f',
        dir.file('kamailio.cfg'),
        ...defines,
        '-DD',
        '-E',
        '-m',
        '64',
        '-M',
        '8',
        '-Y',
        dir.path,
      ],
      { readyPattern: /SO_RCVBUF is finally/ },
    );
    return {
      port,
      tlsPort,
      wsPort,
      process,
      sdps() {
        const out: RelayedSdp[] = [];
        for (const match of process
          .output()
          .matchAll(/SDP-(REQUEST|REPLY) ([^\n]*)\n([\s\S]*?)\nSDP-END/g)) {
          out.push({
            kind: match[1] === 'REPLY' ? 'REPLY' : 'REQUEST',
            head: match[2] ?? '',
            body: match[3] ?? '',
          });
        }
        return out;
      },
      async stop() {
        await process.stop();
        dir.remove();
      },
    };
  } catch (error) {
    dir.remove();
    throw error;
  }
}

/** Audio a 16-bit mono WAV file holds: its sample count and RMS level (0…32767). */
export interface Recording {
  readonly samples: number;
  readonly rms: number;
}

/**
 * Measures the 16-bit PCM of a WAV file from byte `from` on (at least the start of its `data`
 * chunk). baresip writes the chunk sizes only when it closes the file, so this reads to the end.
 */
export function measureWav(path: string, from = 0): Recording {
  if (!existsSync(path)) return { samples: 0, rms: 0 };
  const bytes = readFileSync(path);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 12;
  while (offset + 8 <= view.byteLength) {
    const id = bytes.toString('latin1', offset, offset + 4);
    const size = view.getUint32(offset + 4, true);
    offset += 8;
    if (id === 'data') break;
    offset += size + (size & 1);
  }
  offset = Math.max(offset, from + (from & 1));
  const samples = Math.max(0, Math.floor((view.byteLength - offset) / 2));
  let sum = 0;
  for (let i = 0; i < samples; i++) {
    const s = view.getInt16(offset + 2 * i, true);
    sum += s * s;
  }
  return { samples, rms: samples ? Math.sqrt(sum / samples) : 0 };
}

/** Where baresip's latest recording stood at some moment: see Baresip.recordingMark(). */
export interface RecordingMark {
  readonly file: string | undefined;
  readonly size: number;
}

export interface Baresip {
  readonly sipPort: number;
  readonly process: RunningProcess;
  /** Everything baresip printed since it started (with SIP traces). */
  output(): string;
  /** Sends one console command over the cons module (e.g. `/hangup`, `/dial sip:…`). */
  command(line: string): Promise<void>;
  /** Everything baresip heard in all its calls so far. */
  recording(): Recording;
  /** Marks how much baresip has recorded so far, for recordingSince(). */
  recordingMark(): RecordingMark;
  /**
   * What baresip heard after `mark`. The sndfile filter writes one file per call, named by the
   * second the call started: a later call may be a new file or may overwrite the marked one.
   */
  recordingSince(mark: RecordingMark): Recording;
  stop(): Promise<void>;
}

export interface BaresipOptions {
  readonly kamailioPort: number;
  /** baresip's audio_codecs, e.g. `PCMU,PCMA` (default) or `G722`. */
  readonly codecs?: string;
  /** The Kamailio account it registers as (password `<user>-secret`); default `phone`. */
  readonly user?: 'phone' | 'phone2';
  /** Incoming calls it takes at once (a further INVITE gets 486); default 4. */
  readonly maxCalls?: number;
  /** Frequency of the tone it plays, in Hz; default 1000. */
  readonly toneHz?: number;
}

/** The files of what baresip heard, oldest first: dump-<time>-dec.wav (-enc.wav is what it sent). */
function heardFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith('-dec.wav'))
    .sort();
}

export async function startBaresip(options: BaresipOptions): Promise<Baresip> {
  const dir = tempDir('baresip');
  const codecs = options.codecs ?? 'PCMU,PCMA';
  const user = options.user ?? 'phone';
  const sipPort = await freePort();
  const consPort = await freePort();
  // Below Linux's ephemeral ports (freePort) and above the gateway's default media range.
  const rtpBase = 30000 + 2 * Math.floor(Math.random() * 1300);
  const records = dir.file('recorded');
  mkdirSync(records);
  // aufile plays at the sample rate of the codec in use: 16 kHz for G.722, 48 kHz for Opus.
  const first = codecs.split(',')[0]?.toUpperCase();
  const rate = first === 'G722' ? 16000 : first === 'OPUS' ? 48000 : 8000;
  const tone = dir.file('tone.wav');
  const toneHz = String(options.toneHz ?? 1000);
  execFileSync(
    'sox',
    ['-n', '-r', String(rate), '-c', '1', '-b', '16', tone].concat([
      'synth',
      '120',
      'sine',
      toneHz,
      'vol',
      '0.5',
    ]),
  );
  const fill = (text: string): string =>
    text
      .replaceAll('SIP_PORT', String(sipPort))
      .replaceAll('RECORD_DIR', records)
      .replaceAll('SOURCE_WAV', tone)
      .replaceAll('RTP_MIN', String(rtpBase))
      .replaceAll('RTP_MAX', String(rtpBase + 99))
      .replaceAll('CONS_PORT', String(consPort))
      .replaceAll('MAX_CALLS', String(options.maxCalls ?? 4))
      .replaceAll('KAMAILIO_PORT', String(options.kamailioPort))
      .replaceAll('AUDIO_CODECS', codecs)
      .replaceAll('USER', user);
  const wanted = codecs.toUpperCase();
  const config = fill(readFileSync(conformance('baresip/config'), 'utf8'))
    // Only the codec modules asked for: baresip answers with any loaded codec otherwise.
    .split('\n')
    .filter((line) => {
      const codec = /^module\s+(g711|g722|opus)\.so/.exec(line)?.[1];
      if (!codec) return true;
      return codec === 'g711' ? /PCM[UA]/.test(wanted) : wanted.includes(codec.toUpperCase());
    })
    .join('\n');
  writeFileSync(dir.file('config'), config);
  writeFileSync(dir.file('accounts'), fill(readFileSync(conformance('baresip/accounts'), 'utf8')));
  try {
    const process = await startProcess('baresip', ['-f', dir.path, '-v', '-s'], {
      readyPattern: new RegExp(`${user}@127\\.0\\.0\\.1: \\{0/UDP/v4\\} 200 OK`),
    });
    return {
      sipPort,
      process,
      output: () => process.output(),
      async command(line) {
        const socket = createSocket('udp4');
        try {
          await new Promise<void>((resolve, reject) =>
            socket.send(`${line}\n`, consPort, LOOPBACK, (error) =>
              error ? reject(error) : resolve(),
            ),
          );
        } finally {
          socket.close();
        }
      },
      recording() {
        let sum = 0;
        let samples = 0;
        for (const name of heardFiles(records)) {
          const heard = measureWav(join(records, name), 44);
          sum += heard.rms * heard.rms * heard.samples;
          samples += heard.samples;
        }
        return { samples, rms: samples ? Math.sqrt(sum / samples) : 0 };
      },
      recordingMark() {
        const file = heardFiles(records).at(-1);
        return { file, size: file ? statSync(join(records, file)).size : 0 };
      },
      recordingSince(mark) {
        const file = heardFiles(records).at(-1);
        if (!file) return { samples: 0, rms: 0 };
        const path = join(records, file);
        // The same file still growing: only what came after the mark. Overwritten by a call in
        // the same second (shorter than at the mark) or a new file: all of it.
        const from = file === mark.file && statSync(path).size >= mark.size ? mark.size : 0;
        return measureWav(path, from);
      },
      async stop() {
        await process.stop();
        dir.remove();
      },
    };
  } catch (error) {
    dir.remove();
    throw error;
  }
}
