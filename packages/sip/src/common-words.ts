/**
 * Words nearly every message holds (methods, transports): the parser and the hot-header readers
 * return these shared strings instead of making new ones, and the WebAssembly scanner reports a
 * method by its index here (wasm/sip/header_scan.c, `add_word`).
 */
import { KNOWN_METHODS } from './validate.js';

export const COMMON_WORDS: readonly string[] = [
  // transports
  'UDP',
  'TCP',
  'TLS',
  'WS',
  'WSS',
  ...KNOWN_METHODS,
];
