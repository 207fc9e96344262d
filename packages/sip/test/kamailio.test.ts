// Interop through Kamailio with digest authentication (401 on REGISTER, 407 on INVITE): this stack
// registers, calls a registered baresip through the proxy, re-INVITEs and hangs up.
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registerer, UdpTransport, UserAgent } from '@callbridge/sip';
import {
  PEERS,
  freePort,
  needsPeers,
  startProcess,
  tempDir,
  type RunningProcess,
  type TempDir,
} from '@callbridge/testkit';

const PASSWORD = 'secret';

function kamailioConfig(port: number): string {
  const modules = [
    'kex',
    'corex',
    'tm',
    'sl',
    'rr',
    'pv',
    'maxfwd',
    'textops',
    'siputils',
    'xlog',
    'sanity',
    'usrloc',
    'registrar',
    'auth',
  ];
  return `#!KAMAILIO
debug=2
log_stderror=yes
fork=yes
children=2
listen=udp:127.0.0.1:${port}
auto_aliases=no
alias="127.0.0.1:${port}"
mpath="/usr/lib/x86_64-linux-gnu/kamailio/modules/"
${modules.map((m) => `loadmodule "${m}.so"`).join('\n')}
modparam("rr", "enable_full_lr", 1)
request_route {
    if (!mf_process_maxfwd_header("10")) { sl_send_reply("483", "Too Many Hops"); exit; }
    if (has_totag()) {
        if (loose_route()) { t_relay(); exit; }
        if (is_method("ACK")) { if (t_check_trans()) { t_relay(); } exit; }
        sl_send_reply("404", "Not here"); exit;
    }
    if (is_method("CANCEL")) { if (t_check_trans()) t_relay(); exit; }
    t_check_trans();
    if (is_method("REGISTER")) {
        if (!pv_www_authenticate("$td", "${PASSWORD}", "0")) { www_challenge("$td", "0"); exit; }
        consume_credentials();
        if (!save("location")) sl_reply_error();
        exit;
    }
    if (is_method("INVITE")) {
        if (!pv_proxy_authenticate("$fd", "${PASSWORD}", "0")) { proxy_challenge("$fd", "0"); exit; }
        consume_credentials();
        record_route();
    }
    if (uri==myself) {
        if (!lookup("location")) { sl_send_reply("404", "Not Found"); exit; }
    }
    if (!t_relay()) sl_reply_error();
}
`;
}

/** One second of 8 kHz mono 16-bit silence: baresip's audio source. */
function silenceWav(): Uint8Array {
  const samples = 8000;
  const bytes = new Uint8Array(44 + samples * 2);
  const view = new DataView(bytes.buffer);
  const ascii = (offset: number, text: string): void => {
    for (let i = 0; i < text.length; i++) bytes[offset + i] = text.charCodeAt(i);
  };
  ascii(0, 'RIFF');
  view.setUint32(4, 36 + samples * 2, true);
  ascii(8, 'WAVEfmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true);
  view.setUint16(22, 1, true);
  view.setUint32(24, 8000, true);
  view.setUint32(28, 16000, true);
  view.setUint16(32, 2, true);
  view.setUint16(34, 16, true);
  ascii(36, 'data');
  view.setUint32(40, samples * 2, true);
  return bytes;
}

const SDP = (port: number): { body: string; contentType: string } => ({
  body: `v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio ${port} RTP/AVP 0 8\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=sendrecv\r\n`,
  contentType: 'application/sdp',
});

describe.skipIf(needsPeers(PEERS.kamailio, PEERS.baresip).skip)(
  'Kamailio with digest auth and baresip',
  () => {
    let dir: TempDir;
    let kamailio: RunningProcess;
    let baresip: RunningProcess;
    let kamailioPort: number;

    beforeAll(async () => {
      dir = tempDir('sip-kamailio');
      kamailioPort = await freePort('udp');
      writeFileSync(dir.file('kamailio.cfg'), kamailioConfig(kamailioPort));
      kamailio = await startProcess(
        'kamailio',
        [
          '-f',
          dir.file('kamailio.cfg'),
          '-DD',
          '-E',
          '-P',
          dir.file('kamailio.pid'),
          '-Y',
          dir.path,
          '-m',
          '64',
          '-M',
          '8',
        ],
        { readyPattern: /SO_RCVBUF is finally/ },
      );
      const baresipPort = await freePort('udp');
      const rtpBase = 20000 + (baresipPort % 10000);
      writeFileSync(dir.file('silence.wav'), silenceWav());
      writeFileSync(
        dir.file('config'),
        [
          'poll_method epoll',
          `sip_listen 127.0.0.1:${baresipPort}`,
          'sip_trans_def udp',
          'audio_player aubridge,nil',
          `audio_source aufile,${dir.file('silence.wav')}`,
          'audio_alert aubridge,nil',
          `rtp_ports ${rtpBase}-${rtpBase + 20}`,
          'net_interface 127.0.0.1',
          'module_path /usr/lib/baresip/modules',
          'module g711.so',
          'module aufile.so',
          'module aubridge.so',
          'module_tmp account.so',
          'module_app menu.so',
        ].join('\n') + '\n',
      );
      writeFileSync(
        dir.file('accounts'),
        `<sip:probe@127.0.0.1:${kamailioPort};transport=udp>;auth_pass=${PASSWORD};regint=600;answermode=auto;audio_codecs=PCMU,PCMA\n`,
      );
      baresip = await startProcess('baresip', ['-f', dir.path, '-v'], {
        readyPattern: /200 OK/,
        timeoutMs: 20_000,
      });
    });

    afterAll(async () => {
      await baresip?.stop();
      await kamailio?.stop();
      dir?.remove();
    });

    it('registers (401), calls baresip through the proxy (407), re-INVITEs and hangs up', async () => {
      const udp = await UdpTransport.create();
      const ua = new UserAgent({
        transports: [udp],
        aor: 'sip:alice@127.0.0.1',
        outboundProxy: `sip:127.0.0.1:${kamailioPort}`,
        credentials: { username: 'alice', password: PASSWORD },
        userAgent: 'callbridge-test',
      });
      const seen: string[] = [];
      ua.transports.on('response', (r) => seen.push(`${r.status} ${r.cseq?.method ?? ''}`));
      try {
        const registerer = new Registerer(ua, {
          registrar: `sip:127.0.0.1:${kamailioPort}`,
          expires: 300,
        });
        expect((await registerer.register()).status).toBe(200);
        expect(seen).toContain('401 REGISTER');

        const call = ua.invite(`sip:probe@127.0.0.1:${kamailioPort}`, {
          offer: SDP(await freePort('udp')),
        });
        const session = await call.answered;
        expect(seen).toContain('407 INVITE');
        expect(session.dialog.routeSet.length).toBeGreaterThan(0);
        expect(new TextDecoder().decode(session.remoteBody)).toContain('m=audio');

        const reinvite = await session.reinvite(SDP(await freePort('udp')));
        expect(reinvite.status).toBe(200);
        const bye = await session.bye();
        expect(bye?.status).toBe(200);
        await registerer.unregister();
      } finally {
        await ua.close();
      }
    });
  },
);
