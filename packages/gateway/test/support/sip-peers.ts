// Real SIP peers for the gateway's tests, on 127.0.0.1: Kamailio with digest authentication
// (conformance/kamailio/kamailio.cfg) and baresip as a phone (conformance/baresip/), each started
// from its committed configuration with free ports filled in, and stopped by PID.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSocket } from 'node:dgram';
import { fileURLToPath } from 'node:url';
import { freePort, startProcess, tempDir, type RunningProcess } from '@callbridge/testkit';

const conformance = (path: string): string =>
  fileURLToPath(new URL(`../../../../conformance/${path}`, import.meta.url));

export interface Kamailio {
  readonly port: number;
  readonly process: RunningProcess;
  /** SDP bodies Kamailio relayed (requests and replies), in order, with their first line. */
  sdps(): { readonly kind: 'REQUEST' | 'REPLY'; readonly head: string; readonly body: string }[];
  stop(): Promise<void>;
}

export async function startKamailio(): Promise<Kamailio> {
  const port = await freePort();
  const dir = tempDir('kamailio');
  const config = readFileSync(conformance('kamailio/kamailio.cfg'), 'utf8').replaceAll(
    '127.0.0.1:5060',
    `127.0.0.1:${port}`,
  );
  writeFileSync(dir.file('kamailio.cfg'), config);
  const process = await startProcess(
    'kamailio',
    ['-f', dir.file('kamailio.cfg'), '-DD', '-E', '-m', '64', '-M', '8', '-Y', dir.path],
    { readyPattern: /SO_RCVBUF is finally/ },
  );
  return {
    port,
    process,
    sdps() {
      const out: ReturnType<Kamailio['sdps']> = [];
      for (const match of process
        .output()
        .matchAll(/SDP-(REQUEST|REPLY) ([^\n]*)\n([\s\S]*?)\nSDP-END/g)) {
        out.push({
          kind: match[1] as 'REQUEST' | 'REPLY',
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
}

export interface Baresip {
  readonly sipPort: number;
  readonly process: RunningProcess;
  /** Sends a console command (e.g. `/dial sip:…`, `/hangup`). */
  command(line: string): Promise<void>;
  /** The samples baresip recorded so far (16-bit mono wav), and their RMS. */
  recording(): { samples: number; rms: number };
  stop(): Promise<void>;
}

export interface BaresipOptions {
  readonly kamailioPort: number;
  /** baresip's audio_codecs, e.g. `PCMU,PCMA` or `G722`. */
  readonly codecs: string;
  /** Register at Kamailio as `phone` (default) or `phone2`. */
  readonly user?: 'phone' | 'phone2';
}

export async function startBaresip(options: BaresipOptions): Promise<Baresip> {
  const dir = tempDir('baresip');
  const sipPort = await freePort();
  const consPort = await freePort();
  const rtpBase = 30000 + 2 * Math.floor(Math.random() * 4000);
  const recordDir = dir.file('recorded');
  mkdirSync(recordDir);
  // aufile needs the sample rate of the codec in use: 16 kHz for G.722, 48 kHz for Opus.
  const first = options.codecs.split(',')[0]?.toUpperCase();
  const rate = first === 'G722' ? 16000 : first === 'OPUS' ? 48000 : 8000;
  execFileSync('sox', [
    '-n',
    '-r',
    String(rate),
    '-c',
    '1',
    '-b',
    '16',
    dir.file('tone.wav'),
    'synth',
    '60',
    'sine',
    '1000',
    'vol',
    '0.5',
  ]);
  const config = readFileSync(conformance('baresip/config'), 'utf8')
    .replaceAll('SIP_PORT', String(sipPort))
    .replaceAll('RECORD_DIR', recordDir)
    .replaceAll('SOURCE_WAV', dir.file('tone.wav'))
    .replaceAll('RTP_MIN', String(rtpBase))
    .replaceAll('RTP_MAX', String(rtpBase + 99))
    .replaceAll('CONS_PORT', String(consPort))
    // Only the codec modules asked for: baresip answers with any loaded codec otherwise.
    .split('\n')
    .filter((line) => {
      const codec = /^module\s+(g711|g722|opus)\.so/.exec(line)?.[1];
      if (!codec) return true;
      const wanted = options.codecs.toUpperCase();
      return codec === 'g711' ? /PCM[UA]/.test(wanted) : wanted.includes(codec.toUpperCase());
    })
    .join('\n');
  const user = options.user ?? 'phone';
  const accounts = readFileSync(conformance('baresip/accounts'), 'utf8')
    .replaceAll('phone', user)
    .replace('KAMAILIO_PORT', String(options.kamailioPort))
    .replace('AUDIO_CODECS', options.codecs);
  writeFileSync(dir.file('config'), config);
  writeFileSync(dir.file('accounts'), accounts);
  const process = await startProcess('baresip', ['-f', dir.path, '-v'], {
    readyPattern: new RegExp(`${user}@127\\.0\\.0\\.1: \\{0/UDP/v4\\} 200 OK`),
  });
  return {
    sipPort,
    process,
    async command(line) {
      const socket = createSocket('udp4');
      await new Promise<void>((resolve, reject) =>
        socket.send(`${line}\n`, consPort, '127.0.0.1', (error) =>
          error ? reject(error) : resolve(),
        ),
      );
      socket.close();
    },
    recording() {
      // sndfile writes one <...>-dec.wav per call with what baresip decoded (what it heard).
      let sum = 0;
      let samples = 0;
      for (const name of readdirSync(recordDir).filter((n) => n.endsWith('-dec.wav'))) {
        const bytes = readFileSync(join(recordDir, name));
        if (bytes.length <= 44) continue;
        const pcm = new Int16Array(
          bytes.buffer.slice(
            bytes.byteOffset + 44,
            bytes.byteOffset + 44 + ((bytes.length - 44) & ~1),
          ),
        );
        for (const s of pcm) sum += s * s;
        samples += pcm.length;
      }
      return { samples, rms: samples ? Math.sqrt(sum / samples) : 0 };
    },
    async stop() {
      await process.stop();
      dir.remove();
    },
  };
}
