// a=fmtp parameter lists (RFC 8866 §6.15): `key=value;key=value`, keys compared case-insensitively.

/** Parses `key=value;key=value` into a map with lower-case keys. Tokens without `=` map to ''. */
export function parseFmtp(fmtp: string | undefined): Map<string, string> {
  const params = new Map<string, string>();
  if (fmtp === undefined) return params;
  for (const part of fmtp.split(';')) {
    const item = part.trim();
    if (item.length === 0) continue;
    const eq = item.indexOf('=');
    if (eq < 0) params.set(item.toLowerCase(), '');
    else params.set(item.slice(0, eq).trim().toLowerCase(), item.slice(eq + 1).trim());
  }
  return params;
}

/** Writes a parameter map back as `key=value;key=value` (keys without a value as bare tokens). */
export function formatFmtp(params: ReadonlyMap<string, string>): string | undefined {
  const parts: string[] = [];
  for (const [key, value] of params) parts.push(value.length === 0 ? key : `${key}=${value}`);
  return parts.length === 0 ? undefined : parts.join(';');
}
