// Package README examples run as tests, so they cannot drift from the API they show. A ```ts
// block preceded by a `<!-- runnable -->` line is an example; a ```text block right after it (blank
// lines between at most) is what the example must print with console.log. Printed text is compared
// with CRLF read as LF and trailing white space dropped, so a README can show a serialised SIP
// message as it looks.
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { format } from 'node:util';
import type { TempDir } from './index.js';

export const RUNNABLE_MARKER = '<!-- runnable -->';

let runs = 0;

export interface ReadmeExample {
  /** 1-based line of the opening fence, to find the example from a failure. */
  readonly line: number;
  readonly code: string;
  /** What the example prints (see {@link normalizeOutput}); undefined when the README says nothing. */
  readonly expectedOutput: string | undefined;
}

interface Fence {
  readonly line: number;
  readonly language: string;
  readonly body: string;
  /** Index of the first line after the closing fence. */
  readonly end: number;
}

function fenceAt(lines: readonly string[], start: number): Fence | undefined {
  const open = /^```(\S*)\s*$/.exec(lines[start] ?? '');
  if (!open) return undefined;
  for (let i = start + 1; i < lines.length; i++) {
    if (lines[i]!.trimEnd() === '```') {
      return {
        line: start + 1,
        language: open[1] ?? '',
        body: lines.slice(start + 1, i).join('\n'),
        end: i + 1,
      };
    }
  }
  throw new Error(`README line ${start + 1}: code fence is never closed`);
}

/** The runnable examples of a README, in order. */
export function readmeExamples(markdown: string): ReadmeExample[] {
  const lines = markdown.split(/\r?\n/);
  const examples: ReadmeExample[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.trim() !== RUNNABLE_MARKER) continue;
    const code = fenceAt(lines, i + 1);
    if (code === undefined || code.language !== 'ts') {
      throw new Error(`README line ${i + 1}: ${RUNNABLE_MARKER} must be followed by a ts block`);
    }
    let next = code.end;
    while (next < lines.length && lines[next]!.trim() === '') next++;
    const output = fenceAt(lines, next);
    const printed = output?.language === 'text' ? output : undefined;
    examples.push({
      line: code.line,
      code: code.body,
      expectedOutput: printed === undefined ? undefined : normalizeOutput(printed.body),
    });
    i = (printed ?? code).end - 1;
  }
  return examples;
}

/** Output as compared: CRLF read as LF, trailing white space of the whole text dropped. */
export function normalizeOutput(text: string): string {
  return text.replace(/\r\n/g, '\n').trimEnd();
}

/**
 * Writes an example to `dir` as an ES module and imports it (under vitest, `@callbridge/*`
 * resolve to the packages' sources). Resolves with what it printed through console.log (normalised)
 * once its top-level code, awaits included, has finished.
 */
export async function runReadmeExample(example: ReadmeExample, dir: TempDir): Promise<string> {
  // A fresh name per run: a module imported twice from one path would run only once.
  const file = dir.file(`example-line-${example.line}-${++runs}.ts`);
  writeFileSync(file, `${example.code}\n`);
  const printed: string[] = [];
  const log = console.log;
  console.log = (...args: unknown[]) => {
    printed.push(format(...args));
  };
  try {
    await import(pathToFileURL(file).href);
  } finally {
    console.log = log;
  }
  return normalizeOutput(printed.join('\n'));
}
