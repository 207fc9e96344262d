#!/usr/bin/env node
/**
 * `callbridge [settings flags]`: runs the gateway. With no configuration it listens on
 * 127.0.0.1:8080 and runs the embedded demo. `callbridge check-config` validates and prints the
 * effective configuration (secrets redacted); `callbridge --help` lists every setting.
 */
import { loadConfig, redactConfig, settingsHelp } from './config.js';
import { GatewayError } from './errors.js';
import { GATEWAY_VERSION, startGateway } from './gateway.js';
import { callBackendFactory, embeddedDemoFactory } from './wiring.js';

const USAGE = `callbridge ${GATEWAY_VERSION} — WebRTC-to-SIP gateway

usage: callbridge [check-config] [--config file.json] [--setting value ...]

Settings (flag, environment variable, meaning); later sources win: defaults < file < env < flags.
${settingsHelp()}
`;

async function main(argv: readonly string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (argv.includes('--version')) {
    process.stdout.write(`${GATEWAY_VERSION}\n`);
    return 0;
  }
  const checkOnly = argv[0] === 'check-config';
  const config = loadConfig({ argv: checkOnly ? argv.slice(1) : argv, env: process.env });
  if (checkOnly) {
    process.stdout.write(JSON.stringify(redactConfig(config), null, 2) + '\n');
    return 0;
  }
  const gateway = await startGateway({
    config,
    backendFactory: callBackendFactory,
    demoFactory: embeddedDemoFactory,
  });
  process.stderr.write(`callbridge ${GATEWAY_VERSION}: open ${gateway.url}/ in a browser\n`);
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      gateway.stop().then(resolve, resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof GatewayError && error.code === 'INVALID_CONFIG') {
      process.stderr.write(`callbridge: invalid configuration: ${error.message}\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(
        `callbridge: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exitCode = 1;
    }
  },
);
