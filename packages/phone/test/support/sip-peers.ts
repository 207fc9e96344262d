// Real SIP peers for the Phone UI's end-to-end tests, on 127.0.0.1 only: Kamailio with digest
// authentication (conformance/kamailio-phone/) as the SIP server and baresip
// (conformance/baresip-phone/) as the phone. Each starts from its committed configuration with
// free ports filled in and is stopped by PID.
import { execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LOOPBACK, freePort, startProcess, tempDir } from '@callbridge/testkit';
import type { RunningProcess } from '@callbridge/testkit';

const conformance = (path: string): string =>
  fileURLToPath(new URL(`../../../../conformance/${path}`, import.meta.url));

export interface Kamailio {
  readonly port: number;
  readonly process: RunningProcess;
  stop(): Promise<void>;
}

export async function startKamailio(): Promise<Kamailio> {
  const port = await freePort();
  const dir = tempDir('kamailio-phone');
  const config = readFileSync(conformance('kamailio-phone/kamailio.cfg'), 'utf8').replaceAll(
    'LISTEN_PORT',
    String(port),
  );
  writeFileSync(dir.file('kamailio.cfg'), config);
  try {
    const process = await startProcess(
      'kamailio',
      ['-f', dir.file('kamailio.cfg'), '-DD', '-E', '-m', '64', '-M', '8', '-Y', dir.path],
      { readyPattern: /SO_RCVBUF is finally/ },
    );
    return {
      port,
      process,
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
  readonly process: RunningProcess;
  /** Everything baresip printed since it started. */
  output(): string;
  /** Sends one console command over the cons module (e.g. `/hangup`, `/dial sip:…`). */
  command(line: string): Promise<void>;
  /** Marks how much baresip has recorded so far, for recordingSince(). */
  recordingMark(): RecordingMark;
  /**
   * What baresip heard after `mark`. The sndfile filter writes one file per call, named by the
   * second the call started: a later call may be a new file or may overwrite the marked one.
   */
  recordingSince(mark: RecordingMark): Recording;
  stop(): Promise<void>;
}

/** The newest file of what baresip heard: dump-<time>-dec.wav (-enc.wav is what it sent). */
function latestHeard(dir: string): string | undefined {
  return readdirSync(dir)
    .filter((name) => name.endsWith('-dec.wav'))
    .sort()
    .at(-1);
}

export interface BaresipOptions {
  readonly kamailioPort: number;
}

export async function startBaresip(options: BaresipOptions): Promise<Baresip> {
  const dir = tempDir('baresip-phone');
  const sipPort = await freePort();
  const consPort = await freePort();
  const rtpBase = 20000 + 2 * Math.floor(Math.random() * 5000);
  const records = dir.file('recorded');
  mkdirSync(records);
  const tone = dir.file('tone.wav');
  // A 440 Hz tone at half scale: the browser hears it, its level meter moves.
  execFileSync('sox', [
    '-n',
    '-r',
    '8000',
    '-c',
    '1',
    '-b',
    '16',
    tone,
    'synth',
    '120',
    'sine',
    '440',
    'vol',
    '0.5',
  ]);
  const fill = (text: string): string =>
    text
      .replaceAll('SIP_PORT', String(sipPort))
      .replaceAll('RECORD_DIR', records)
      .replaceAll('SOURCE_WAV', tone)
      .replaceAll('RTP_MIN', String(rtpBase))
      .replaceAll('RTP_MAX', String(rtpBase + 99))
      .replaceAll('CONS_PORT', String(consPort))
      .replaceAll('KAMAILIO_PORT', String(options.kamailioPort));
  writeFileSync(
    dir.file('config'),
    fill(readFileSync(conformance('baresip-phone/config'), 'utf8')),
  );
  writeFileSync(
    dir.file('accounts'),
    fill(readFileSync(conformance('baresip-phone/accounts'), 'utf8')),
  );
  try {
    const process = await startProcess('baresip', ['-f', dir.path, '-v', '-s'], {
      readyPattern: /phone@127\.0\.0\.1: \{0\/UDP\/v4\} 200 OK/,
    });
    return {
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
      recordingMark() {
        const file = latestHeard(records);
        return { file, size: file ? statSync(join(records, file)).size : 0 };
      },
      recordingSince(mark) {
        const file = latestHeard(records);
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
