import { describe, expect, it } from 'vitest';
import {
  DEFAULT_CONFIG,
  GatewayError,
  demoEnabled,
  envName,
  flagName,
  loadConfig,
  mediaOnLoopbackOnly,
  redactConfig,
} from '@callbridge/gateway';

function configError(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).code).toBe('INVALID_CONFIG');
    return (error as GatewayError).message;
  }
  throw new Error('expected INVALID_CONFIG');
}

describe('configuration', () => {
  it('defaults to 127.0.0.1:8080 with the embedded demo', () => {
    const config = loadConfig({});
    expect(config.listen).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(demoEnabled(config)).toBe(true);
    expect(config).toEqual(DEFAULT_CONFIG);
  });

  it('derives env and flag names from setting paths', () => {
    expect(envName('sip.outboundProxy')).toBe('CALLBRIDGE_SIP_OUTBOUND_PROXY');
    expect(flagName('limits.wsConnectsPerMinute')).toBe('--limits-ws-connects-per-minute');
  });

  it('layers file < env < flags', () => {
    const file = JSON.stringify({
      sip: { domain: 'file.test', transport: 'TCP' },
      listen: { port: 9000 },
      media: { rtpPorts: { min: 30000, max: 30100 } },
    });
    const config = loadConfig({
      argv: ['--config', '/cfg.json', '--sip-transport=TLS'],
      env: { CALLBRIDGE_SIP_DOMAIN: 'env.test', CALLBRIDGE_MEDIA_SIP_CODECS: 'pcmu, G722' },
      readFile: () => file,
    });
    expect(config.sip.domain).toBe('env.test');
    expect(config.sip.transport).toBe('TLS');
    expect(config.listen.port).toBe(9000);
    expect(config.media.rtpPorts).toEqual({ min: 30000, max: 30100 });
    expect(config.media.sipCodecs).toEqual(['PCMU', 'G722']);
    expect(config.media.holdTone).toBe(false);
    expect(loadConfig({ argv: ['--media-hold-tone', 'yes'] }).media.holdTone).toBe(true);
    expect(demoEnabled(config)).toBe(false);
  });

  it('names the bad setting and where it came from', () => {
    expect(configError(() => loadConfig({ argv: ['--sip-transport', 'SCTP'] }))).toBe(
      '--sip-transport (flag): must be one of UDP, TCP, TLS, WS (got "SCTP")',
    );
    expect(
      configError(() => loadConfig({ env: { CALLBRIDGE_MEDIA_RTP_PORTS: '20000-10000' } })),
    ).toMatch(/^CALLBRIDGE_MEDIA_RTP_PORTS \(env\): min 20000 is above max 10000/);
    expect(
      configError(() => loadConfig({ argv: ['--sip-outbound-proxy', 'bad host:99999'] })),
    ).toMatch(/--sip-outbound-proxy.*host:port/);
    expect(configError(() => loadConfig({ argv: ['--dial-plan-default-patterns', '(['] }))).toMatch(
      /dialPlan.defaultPatterns.*not a valid pattern/,
    );
    expect(
      configError(() => loadConfig({ argv: ['--websocket-origin-allowlist', 'not an origin'] })),
    ).toMatch(/--websocket-origin-allowlist.*origin/);
    expect(configError(() => loadConfig({ argv: ['--api-tokens', 'short'] }))).toMatch(
      /--api-tokens.*16/,
    );
    expect(configError(() => loadConfig({ argv: ['--tls-cert', '/nonexistent.pem'] }))).toMatch(
      /--tls-cert.*does not exist/,
    );
    expect(
      configError(() => loadConfig({ argv: ['--media-browser-codecs', 'telephone-event'] })),
    ).toMatch(/media.browserCodecs.*at least one/);
    expect(
      configError(() => loadConfig({ env: { CALLBRIDGE_MEDIA_HOLD_TONE: 'sometimes' } })),
    ).toBe('CALLBRIDGE_MEDIA_HOLD_TONE (env): must be true or false (got "sometimes")');
    expect(configError(() => loadConfig({ argv: ['--no-such-thing', '1'] }))).toMatch(
      /--no-such-thing.*not a known setting/,
    );
    expect(
      configError(() =>
        loadConfig({ argv: ['--config', 'x.json'], readFile: () => '{"sip":{"domian":"x"}}' }),
      ),
    ).toMatch(/^sip.domian \(x.json\): is not a known setting/);
    expect(
      configError(() =>
        loadConfig({ argv: ['--config', 'x.json'], readFile: () => '{"listen":{"port":"80"}}' }),
      ),
    ).toMatch(/^listen.port \(x.json\): must be an integer/);
    expect(configError(() => loadConfig({ argv: ['--log-level'] }))).toMatch(/needs a value/);
  });

  it('parses per-account dial plans and redacts secrets', () => {
    const config = loadConfig({
      argv: [
        '--dial-plan-accounts',
        '{"alice":["10[0-4]","\\\\+49.*"]}',
        '--api-tokens',
        'aaaaaaaaaaaaaaaa1,bbbbbbbbbbbbbbbb2',
        '--hooks-token',
        'hook-secret',
      ],
    });
    expect(config.dialPlan.accounts).toEqual({ alice: ['10[0-4]', '\\+49.*'] });
    const shown = JSON.stringify(redactConfig(config));
    expect(shown).not.toContain('aaaaaaaaaaaaaaaa1');
    expect(shown).not.toContain('hook-secret');
  });
});

describe('mediaOnLoopbackOnly (Firefox cannot reach media announced on loopback)', () => {
  const withArgs = (...argv: string[]) => loadConfig({ argv, env: {} });
  it('holds for the default listen address and other loopback ones', () => {
    expect(mediaOnLoopbackOnly(withArgs())).toBe(true);
    expect(mediaOnLoopbackOnly(withArgs('--listen-host', '127.0.0.2'))).toBe(true);
    expect(mediaOnLoopbackOnly(withArgs('--listen-host', '::1'))).toBe(true);
  });
  it('does not hold for a routable or wildcard listen address, or a public media address', () => {
    expect(mediaOnLoopbackOnly(withArgs('--listen-host', '0.0.0.0'))).toBe(false);
    expect(mediaOnLoopbackOnly(withArgs('--listen-host', '192.0.2.10'))).toBe(false);
    expect(mediaOnLoopbackOnly(withArgs('--media-public-address', '198.51.100.7'))).toBe(false);
  });
});
