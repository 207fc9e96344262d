// A browser-like peer built from this package's own parts, for transport tests that need
// control over timing and loss: it sends ICE checks as a controlling full agent would, runs the
// other DTLS role, and speaks SRTP.
import { createSocket, type Socket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { classifyPacket } from '@callbridge/rtp';
import { SrtpContext, srtpProfileByDtlsId } from '@callbridge/srtp';
import {
  DtlsCertificate,
  DtlsConnection,
  StunAttr,
  StunMessage,
  StunMethod,
  StunWriter,
  shortTermKey,
  stunMessageType,
  type DtlsRole,
  type LocalTransportParameters,
  type RemoteTransportParameters,
} from '@callbridge/webrtc';

export class FakeBrowser {
  readonly certificate = DtlsCertificate.generate({ commonName: 'browser' });
  readonly ufrag = randomBytes(4).toString('hex');
  readonly password = randomBytes(12).toString('hex');
  readonly stunResponses: StunMessage[] = [];
  readonly rtp: Uint8Array[] = [];
  readonly rtcp: Uint8Array[] = [];
  dtls: DtlsConnection | undefined;
  send?: SrtpContext;
  receive?: SrtpContext;
  /** Return false to drop an outgoing DTLS datagram (index counts DTLS datagrams only). */
  dropDtls: (index: number) => boolean = () => false;
  #dtlsSent = 0;
  #gateway: LocalTransportParameters | undefined;
  private constructor(readonly socket: Socket) {
    socket.on('message', (msg) => this.#onMessage(new Uint8Array(msg)));
  }

  static async open(): Promise<FakeBrowser> {
    const socket = createSocket('udp4');
    await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
    return new FakeBrowser(socket);
  }

  get remoteParameters(): RemoteTransportParameters {
    return {
      usernameFragment: this.ufrag,
      password: this.password,
      fingerprints: [this.certificate.fingerprint()],
    };
  }

  /** Starts DTLS in the role opposite to the gateway's a=setup. */
  connect(gateway: LocalTransportParameters, retransmitInitialMs = 1000): void {
    this.#gateway = gateway;
    const role: DtlsRole = gateway.setup === 'active' ? 'server' : 'client';
    this.dtls = new DtlsConnection({
      role,
      certificate: this.certificate,
      remoteFingerprints: [gateway.fingerprint],
      retransmitInitialMs,
      send: (d) => {
        if (this.dropDtls(this.#dtlsSent++)) return;
        this.#sendToGateway(d);
      },
    });
    this.dtls.on('connected', () => {
      const keys = this.dtls!.srtpKeys();
      const profile = srtpProfileByDtlsId(keys.profile.id)!;
      this.send = new SrtpContext({
        profile,
        masterKey: keys.localMasterKey,
        masterSalt: keys.localMasterSalt,
      });
      this.receive = new SrtpContext({
        profile,
        masterKey: keys.remoteMasterKey,
        masterSalt: keys.remoteMasterSalt,
      });
    });
    this.dtls.start();
  }

  /** A connectivity check, nominating when asked (RFC 8445 §7.2.2). */
  check(options: { nominate?: boolean; ufrag?: string; password?: string } = {}): void {
    const gateway = this.#gateway!;
    const w = new StunWriter(stunMessageType(StunMethod.Binding, 'request'), randomBytes(12))
      .addText(StunAttr.Username, `${options.ufrag ?? gateway.usernameFragment}:${this.ufrag}`)
      .addUint32(StunAttr.Priority, 1853824767)
      .addUint64(StunAttr.IceControlling, 99n);
    if (options.nominate) w.addFlag(StunAttr.UseCandidate);
    const bytes = w
      .addMessageIntegrity(shortTermKey(options.password ?? gateway.password))
      .addFingerprint()
      .finish()
      .slice();
    this.#sendToGateway(bytes);
  }

  sendRtp(packet: Uint8Array): void {
    this.#sendToGateway(this.send!.protectRtp(packet));
  }

  sendRtcp(packet: Uint8Array): void {
    this.#sendToGateway(this.send!.protectRtcp(packet));
  }

  close(): void {
    this.dtls?.close();
    this.socket.close();
  }

  #sendToGateway(bytes: Uint8Array): void {
    const candidate = this.#gateway!.candidates[0]!;
    this.socket.send(bytes, candidate.port, candidate.address);
  }

  #onMessage(bytes: Uint8Array): void {
    switch (classifyPacket(bytes)) {
      case 'stun':
        this.stunResponses.push(StunMessage.parse(bytes));
        return;
      case 'dtls':
        this.dtls?.handleDatagram(bytes);
        return;
      case 'rtp':
        if (this.receive) this.rtp.push(this.receive.unprotectRtp(bytes));
        return;
      case 'rtcp':
        if (this.receive) this.rtcp.push(this.receive.unprotectRtcp(bytes));
        return;
      default:
        return;
    }
  }
}
