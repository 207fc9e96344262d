/** A DTMF key (ITU-T Q.23). */
export type DtmfDigit =
  '0' | '1' | '2' | '3' | '4' | '5' | '6' | '7' | '8' | '9' | '*' | '#' | 'A' | 'B' | 'C' | 'D';

/** Low-group (row) frequencies in Hz, ITU-T Q.23 Table 1. */
export const DTMF_ROW_FREQUENCIES = [697, 770, 852, 941] as const;
/** High-group (column) frequencies in Hz, ITU-T Q.23 Table 1. */
export const DTMF_COLUMN_FREQUENCIES = [1209, 1336, 1477, 1633] as const;

/** Keypad layout: KEYPAD[row][column]. */
const KEYPAD: readonly (readonly DtmfDigit[])[] = [
  ['1', '2', '3', 'A'],
  ['4', '5', '6', 'B'],
  ['7', '8', '9', 'C'],
  ['*', '0', '#', 'D'],
];

export function digitAt(row: number, column: number): DtmfDigit | undefined {
  return KEYPAD[row]?.[column];
}

/** Row and column of a digit on the keypad. */
export function digitPosition(digit: DtmfDigit): { row: number; column: number } {
  for (let row = 0; row < 4; row++) {
    const column = KEYPAD[row]!.indexOf(digit);
    if (column >= 0) return { row, column };
  }
  // Unreachable for a DtmfDigit; keeps the signature total.
  return { row: 3, column: 0 };
}

/** Normalises one character to a digit (`a`–`d` accepted), or undefined. */
export function parseDigit(text: string): DtmfDigit | undefined {
  const upper = text.toUpperCase();
  return /^[0-9*#A-D]$/.test(upper) ? (upper as DtmfDigit) : undefined;
}
