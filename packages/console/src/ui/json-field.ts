/** The result of reading a JSON form field: the value, or a message for the field. */
export type JsonRead<T> = { ok: true; value: T } | { ok: false; error: string };

/**
 * Reads a textarea holding JSON. An empty field is `empty`; a value of the wrong shape (an
 * object where a list is wanted) is an error that names what was expected.
 */
export function readJson<T>(text: string, shape: 'array' | 'object', empty: T): JsonRead<T> {
  if (text.trim() === '') return { ok: true, value: empty };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, error: `Not valid JSON: ${(error as Error).message}` };
  }
  if (shape === 'array' && !Array.isArray(value)) return { ok: false, error: 'Must be a JSON list: [ … ]' };
  if (shape === 'object' && (value === null || typeof value !== 'object' || Array.isArray(value))) return { ok: false, error: 'Must be a JSON object: { … }' };
  return { ok: true, value: value as T };
}

/** Pretty JSON for a textarea. */
export function jsonText(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

/**
 * A metadata patch turning `before` into `after` (spec 1.11): changed keys get their new value,
 * removed keys `null`.
 */
export function metadataPatch(before: Record<string, string>, after: Record<string, string>): Record<string, string | null> {
  const patch: Record<string, string | null> = {};
  for (const [key, value] of Object.entries(after)) if (before[key] !== value) patch[key] = value;
  for (const key of Object.keys(before)) if (!(key in after)) patch[key] = null;
  return patch;
}
