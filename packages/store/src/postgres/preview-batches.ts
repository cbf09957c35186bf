import type { PreviewEvent } from '@longhand/protocol';

/**
 * PostgreSQL refuses a notification payload of 8000 bytes or more. Batches stay a little below,
 * leaving room for the envelope's counter to grow.
 */
export const MAX_PAYLOAD_BYTES = 7900;

/** One preview of one session, as a batch carries it. */
export type PreviewEntry = [sessionId: string, preview: PreviewEvent];

/** The envelope of a batch: who sent it, a counter that makes every payload unique, the previews. */
interface Envelope {
  o: string;
  n: number;
  e: PreviewEntry[];
}

const encoder = new TextEncoder();

function bytes(text: string): number {
  return encoder.encode(text).length;
}

/**
 * Cuts a text delta too large for one payload into several deltas of the same event that
 * concatenate to the original text; other previews are small by construction and come back
 * as they are. Cuts fall between code points, never inside a surrogate pair.
 */
export function splitEntry(entry: PreviewEntry, maxEntryBytes: number): PreviewEntry[] {
  const [sessionId, preview] = entry;
  if (bytes(JSON.stringify(entry)) <= maxEntryBytes || preview.type !== 'event_delta') return [entry];
  const overhead = bytes(JSON.stringify([sessionId, { ...preview, delta: { ...preview.delta, content: { type: 'text', text: '' } } }]));
  // JSON may spend up to 6 bytes on one UTF-16 unit (\uXXXX), so this many units always fit.
  const room = Math.max(1, Math.floor((maxEntryBytes - overhead) / 6));
  const text = preview.delta.content.text;
  const pieces: PreviewEntry[] = [];
  for (let start = 0; start < text.length; ) {
    let end = Math.min(text.length, start + room);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end -= 1;
    if (end <= start) end = start + 2;
    pieces.push([sessionId, { ...preview, delta: { ...preview.delta, content: { type: 'text', text: text.slice(start, end) } } }]);
    start = end;
  }
  return pieces;
}

/**
 * Packs previews, in order, into as few payloads as fit under `MAX_PAYLOAD_BYTES` each.
 * `nextCounter` numbers the payloads: PostgreSQL folds identical notifications of one
 * transaction into one, and two batches of the same previews must both arrive.
 *
 * @example
 * const payloads = packPreviews('a1b2', entries, () => (counter += 1));
 */
export function packPreviews(origin: string, entries: readonly PreviewEntry[], nextCounter: () => number): string[] {
  const payloads: string[] = [];
  let batch: string[] = [];
  let size = 0;
  // The envelope around the entries, with room for any counter a JavaScript number can hold.
  const envelopeBytes = bytes(JSON.stringify({ o: origin, n: Number.MAX_SAFE_INTEGER, e: [] }));
  const maxEntryBytes = MAX_PAYLOAD_BYTES - envelopeBytes;
  const close = () => {
    if (batch.length === 0) return;
    payloads.push(`{"o":${JSON.stringify(origin)},"n":${nextCounter()},"e":[${batch.join(',')}]}`);
    batch = [];
    size = 0;
  };
  for (const entry of entries) {
    for (const piece of splitEntry(entry, maxEntryBytes)) {
      const json = JSON.stringify(piece);
      const length = bytes(json);
      if (length > maxEntryBytes) continue; // Cannot happen for the preview types there are; never send an oversized payload.
      if (size + length + 1 > maxEntryBytes) close();
      batch.push(json);
      size += length + 1;
    }
  }
  close();
  return payloads;
}

/** Reads a payload back; undefined for anything that is not a batch (never throws). */
export function unpackPreviews(payload: string): { origin: string; entries: PreviewEntry[] } | undefined {
  try {
    const parsed = JSON.parse(payload) as Partial<Envelope>;
    if (typeof parsed.o !== 'string' || !Array.isArray(parsed.e)) return undefined;
    return { origin: parsed.o, entries: parsed.e };
  } catch {
    return undefined;
  }
}
