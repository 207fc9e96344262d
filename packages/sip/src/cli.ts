/**
 * `callbridge-sip`: command-line access to the parser, for conformance suites and for people
 * debugging a capture.
 *
 *   callbridge-sip parse FILE...   one line of JSON per file:
 *     {"file","ok":true,"kind","method","requestUri","status","reason","headers":[[name,value]],"bodyLength"}
 *     {"file","ok":false,"code","message","response":400}   (response null for responses)
 *   A request has "status" and "reason" null, a response "method" and "requestUri" null.
 *
 * Exit status 0 whether or not the messages were valid; 1 when a file cannot be read, 2 on usage errors.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { SipParseError } from './errors.js';
import { parseMessage } from './parser.js';

const USAGE = 'usage: callbridge-sip parse FILE...';

/** One file's result as printed by `callbridge-sip parse`. */
export function describeParse(file: string, bytes: Uint8Array): Record<string, unknown> {
  try {
    const m = parseMessage(bytes);
    const headers = m.headers.map((f) => [f.name, f.value]);
    const request = m.kind === 'request';
    return {
      file,
      ok: true,
      kind: m.kind,
      method: request ? m.method : null,
      requestUri: request ? m.uri.toString() : null,
      status: request ? null : m.status,
      reason: request ? null : m.reason,
      headers,
      bodyLength: m.body.length,
    };
  } catch (e) {
    if (!(e instanceof SipParseError)) throw e;
    return {
      file,
      ok: false,
      code: e.code,
      message: `${e.message} (byte ${e.offset})`,
      response: e.response?.status ?? null,
    };
  }
}

/** Runs the CLI; returns the exit status. */
export function main(args: readonly string[], out: (line: string) => void = console.log): number {
  const [command, ...files] = args;
  if (command !== 'parse' || files.length === 0) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  let status = 0;
  for (const file of files) {
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(file);
    } catch (e) {
      process.stderr.write(`callbridge-sip: cannot read ${file}: ${(e as Error).message}\n`);
      status = 1;
      continue;
    }
    out(JSON.stringify(describeParse(file, bytes)));
  }
  return status;
}

function invokedDirectly(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}

// `node dist/cli.js parse FILE` works as well as the package bin.
if (invokedDirectly()) process.exitCode = main(process.argv.slice(2));
