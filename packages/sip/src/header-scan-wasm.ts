/**
 * The header-section scanner in WebAssembly (wasm/sip/header_scan.c): finds line ends, checks
 * names and recognises the known ones 16 bytes at a time, and writes the same offset table as
 * the TypeScript loop in `parser.ts`. It accepts well-formed sections only; for anything else it
 * answers "undecided" and the TypeScript loop parses the message and reports the error, so both
 * paths give the same messages and the same errors (a test runs the corpora through both).
 *
 * Instantiated synchronously on first use; where that is impossible (no WebAssembly or SIMD, a
 * CSP without 'wasm-unsafe-eval', a browser refusing synchronous compilation) the TypeScript
 * loop serves alone.
 */
import { HEADER_SCAN_WASM_BASE64 } from './header-scan-wasm-binary.js';
import { COMMON_WORDS } from './common-words.js';
import { headerId, knownHeaderSpellings } from './header-names.js';
import type { MessageSource } from './message.js';

/**
 * Where the scanner records the parts of the first Via, From, To, CSeq and Call-ID lines and of
 * the Request-URI when they have the usual shape (wasm/sip/header_scan.c, `hot_line`): index of
 * each record in the table (and in a message source's `hot`). A record's first number is the
 * value's start (text index) or -1 for no record. The rows of header lines start after them, at
 * {@link HOT_END}.
 */
export const HOT_VIA = 2;
export const HOT_FROM = 10;
export const HOT_TO = 18;
export const HOT_CSEQ = 26;
export const HOT_CALL_ID = 31;
/** The Request-URI (its start and end, the first two numbers, are the key). */
export const HOT_URI = 33;
export const HOT_END = 42;

interface ScanExports {
  readonly memory: WebAssembly.Memory;
  input(this: void): number;
  table(this: void): number;
  capacity(this: void): number;
  table_length(this: void): number;
  results(this: void): number;
  add_name(this: void, length: number, id: number): number;
  add_word(this: void, length: number): number;
  set_hot_ids(
    this: void,
    via: number,
    from: number,
    to: number,
    callId: number,
    cseq: number,
  ): void;
  scan(
    this: void,
    length: number,
    base: number,
    maxLineLength: number,
    contentLengthId: number,
  ): number;
}

/**
 * A scanner instance: the exports and views of its input area, offset table and results (read
 * from memory: a call into WebAssembly costs more than a load).
 */
export interface WasmHeaderScanner {
  /**
   * Scans the message in the input area. First, a source lent the table's hot-header records
   * ({@link lendHot}) gets a copy of them if it still needs them (a value not built yet).
   */
  readonly scan: ScanExports['scan'];
  /** Lets `src` read its hot-header records from the table until the next scan. */
  readonly lendHot: (src: MessageSource) => void;
  readonly bodyStart: () => number;
  readonly contentLength: () => number;
  /** Index of the start line's LF, relative to the start line (after a scan that returned ≥ 0). */
  readonly startLineEnd: () => number;
  /** 1 when no byte of the message (from the start line on) is ≥ 0x80, else 0. */
  readonly ascii: () => number;
  /**
   * The request's method (the token before the start line's first SP) as an index in
   * `COMMON_WORDS`, or -1 for another word or none.
   */
  readonly methodWord: () => number;
  /** The input area: copy the message to its start. */
  readonly input: Uint8Array;
  /**
   * The offset table: the index of the first row ({@link HOT_END}), the first line's start, the
   * hot-header records, then the rows in the layout of `RawHeaders`; after a scan that found
   * `lines` lines, its first `HOT_END + lines * RAW_STRIDE` numbers.
   */
  readonly table: Int32Array;
}

/**
 * Before the table is overwritten: `src` keeps a copy of the hot-header records when a value is
 * still to be built from one, else none (the built values are kept with their line's start).
 */
function takeBackHot(src: MessageSource, table: Int32Array): void {
  if (
    (src.hotVia !== undefined || table[HOT_VIA] === -1) &&
    (src.hotFrom !== undefined || table[HOT_FROM] === -1) &&
    (src.hotTo !== undefined || table[HOT_TO] === -1) &&
    (src.hotCallId !== undefined || table[HOT_CALL_ID] === -1) &&
    (src.hotCSeq !== undefined || table[HOT_CSEQ] === -1)
  ) {
    src.hot = undefined;
    return;
  }
  const copy = new Array<number>(HOT_END);
  for (let k = 0; k < HOT_END; k++) copy[k] = table[k]!;
  src.hot = copy;
}

let instance: WasmHeaderScanner | null | undefined;
let enabled = true;

/** The scanner, or `undefined` when WebAssembly is unavailable (or switched off). */
export function wasmHeaderScanner(): WasmHeaderScanner | undefined {
  if (!enabled) return undefined;
  if (instance === undefined) instance = instantiate();
  return instance ?? undefined;
}

/**
 * @internal Switches the WebAssembly path off (`false`) or back on, for tests that compare it
 * with the TypeScript loop. Returns whether it was on.
 */
export function useWasmHeaderScanner(on: boolean): boolean {
  const was = enabled;
  enabled = on;
  return was;
}

function instantiate(): WasmHeaderScanner | null {
  try {
    const binary = Uint8Array.from(atob(HEADER_SCAN_WASM_BASE64), (c) => c.charCodeAt(0));
    const fn = new WebAssembly.Instance(new WebAssembly.Module(binary), {})
      .exports as unknown as ScanExports;
    const buffer = fn.memory.buffer;
    const memory = new Uint8Array(buffer);
    const input = memory.subarray(fn.input(), fn.input() + fn.capacity());
    const encoder = new TextEncoder();
    for (const [name, id] of knownHeaderSpellings()) {
      const bytes = encoder.encode(name);
      input.set(bytes, 0);
      if (fn.add_name(bytes.length, id) !== 1) return null;
    }
    for (const word of COMMON_WORDS) {
      const bytes = encoder.encode(word);
      input.set(bytes, 0);
      if (fn.add_word(bytes.length) !== 1) return null;
    }
    input.fill(0, 0, 64);
    fn.set_hot_ids(
      headerId('via'),
      headerId('from'),
      headerId('to'),
      headerId('call-id'),
      headerId('cseq'),
    );
    const results = new Int32Array(buffer, fn.results(), 5);
    const table = new Int32Array(buffer, fn.table(), fn.table_length());
    const scan = fn.scan;
    let borrower: MessageSource | undefined;
    return {
      scan: (length, base, maxLineLength, contentLengthId) => {
        if (borrower !== undefined) {
          takeBackHot(borrower, table);
          borrower = undefined;
        }
        return scan(length, base, maxLineLength, contentLengthId);
      },
      lendHot: (src) => {
        src.hot = table;
        borrower = src;
      },
      bodyStart: () => results[0]!,
      contentLength: () => results[1]!,
      startLineEnd: () => results[2]!,
      ascii: () => results[3]!,
      methodWord: () => results[4]!,
      input,
      table,
    };
  } catch {
    return null;
  }
}
