/**
 * RFC 3339 timestamp with millisecond precision and a `Z` suffix.
 * The fixed width makes the strings sort in time order, which the stores rely on.
 */
export function isoNow(): string {
  return new Date().toISOString();
}

/** Converts epoch milliseconds to the wire timestamp format. */
export function isoFromMillis(ms: number): string {
  return new Date(ms).toISOString();
}

/** Parses an RFC 3339 string; returns `undefined` when it is not a valid timestamp. */
export function parseTimestamp(value: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}
