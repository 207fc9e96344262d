// G.729 comes from an optional package (codec-g729, GPL) that may not be installed. The gateway
// must then never negotiate it on the SIP side, even when media.sipCodecs names it: a call would
// agree on a codec it cannot transcode. The missing package is simulated by giving the B2BUA a
// codec registry on which loading the optional packages found nothing.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { CodecRegistry, loadOptionalCodecs, registerBuiltinCodecs } from '@callbridge/codecs';
import {
  SdpError,
  browserOfferToSip,
  sipOfferToBrowser,
  type GatewayMediaConfig,
} from '@callbridge/sdp';
import { silentLogger, type RunningGateway } from '../src/index.js';
import type { B2buaBackend } from '../src/b2bua/backend.js';
import { implementedCodecs } from '../src/b2bua/capabilities.js';
import type { CallMedia } from '../src/b2bua/call-media.js';
import type { Logger } from '../src/log.js';
import { startB2buaGateway } from './support/b2bua-harness.js';

const chromiumOffer = readFileSync(
  new URL('../../sdp/test/fixtures/chromium-audio-offer.sdp', import.meta.url),
  'utf8',
);

/** A phone that offers G.729 only (payload type 18, RFC 3551 §4.5.6). */
const G729_PHONE_OFFER = [
  'v=0',
  'o=phone 1 1 IN IP4 127.0.0.1',
  's=-',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'm=audio 40000 RTP/AVP 18 101',
  'a=rtpmap:18 G729/8000',
  'a=fmtp:18 annexb=no',
  'a=rtpmap:101 telephone-event/8000',
  'a=sendrecv',
  '',
].join('\r\n');

/** The built-in codecs, plus the optional packages when `optional` (returns what loaded). */
async function registry(optional: boolean): Promise<{ registry: CodecRegistry; loaded: string[] }> {
  const registry = new CodecRegistry();
  registerBuiltinCodecs(registry);
  return { registry, loaded: optional ? await loadOptionalCodecs(registry) : [] };
}

describe('G.729 when its package is missing', () => {
  it('implementedCodecs leaves out a codec the registry lacks, keeps relayed ones', async () => {
    const names = ['PCMU', 'G729', 'telephone-event', 'VP8'] as const;
    const without = await registry(false);
    expect(implementedCodecs(names, without.registry)).toEqual(['PCMU', 'telephone-event', 'VP8']);
    const withPackage = await registry(true);
    expect(withPackage.loaded).toContain('@callbridge/codec-g729');
    expect(implementedCodecs(names, withPackage.registry)).toEqual([...names]);
  });

  describe('the B2BUA', () => {
    let gateway: RunningGateway | undefined;
    let media: CallMedia | undefined;
    let backend: B2buaBackend | undefined;

    afterEach(async () => {
      media?.close();
      await gateway?.stop();
    });

    async function openMedia(optional: boolean, warnings: string[] = []): Promise<CallMedia> {
      const { registry: codecs } = await registry(optional);
      const logger: Logger = {
        ...silentLogger,
        warn: (message, fields) => warnings.push(`${message} ${JSON.stringify(fields)}`),
        child: () => logger,
      };
      ({ gateway, backend } = await startB2buaGateway(
        ['--sip-domain', '127.0.0.1', '--media-sip-codecs', 'G729,PCMU,telephone-event'],
        { logger, backendOptions: { codecs: Promise.resolve(codecs) } },
      ));
      media = await backend.openMedia('server', undefined, false);
      return media;
    }

    /** What the B2BUA gives the SDP bridge for a call with this media. */
    function mediaConfigOf(opened: CallMedia): GatewayMediaConfig {
      if (!backend) throw new Error('no B2BUA');
      return backend.mediaConfig(opened);
    }

    it('offers no G.729 to the SIP side and says why', async () => {
      const warnings: string[] = [];
      const opened = await openMedia(false, warnings);
      expect(opened.offered.sip.audio?.map((c) => c.name)).toEqual([
        'PCMU',
        'telephone-event',
        'telephone-event',
        'telephone-event',
      ]);
      const offer = browserOfferToSip(chromiumOffer, mediaConfigOf(opened));
      expect(offer.sdp).not.toMatch(/G729/);
      expect(offer.sdp).toMatch(/a=rtpmap:0 PCMU\/8000/);
      expect(warnings.join('\n')).toMatch(/media\.sipCodecs.*G729/);
    });

    it('refuses a G.729-only phone instead of agreeing on a codec it cannot transcode', async () => {
      const opened = await openMedia(false);
      expect(() => sipOfferToBrowser(G729_PHONE_OFFER, mediaConfigOf(opened))).toThrow(SdpError);
    });

    it('with the package installed, offers G.729 and takes the G.729-only phone', async () => {
      const opened = await openMedia(true);
      expect(browserOfferToSip(chromiumOffer, mediaConfigOf(opened)).sdp).toMatch(
        /a=rtpmap:18 G729\/8000/,
      );
      expect(sipOfferToBrowser(G729_PHONE_OFFER, mediaConfigOf(opened)).sdp).toMatch(/m=audio/);
    });
  });
});
