import type { PreviewEvent } from '@longhand/protocol';
import { describe, expect, it } from 'vitest';
import { MAX_PAYLOAD_BYTES, packPreviews, unpackPreviews } from '@longhand/store/postgres';

type Entry = [string, PreviewEvent];

function delta(text: string, eventId = 'sevt_m'): PreviewEvent {
  return { type: 'event_delta', event_id: eventId, delta: { type: 'content_delta', index: 0, content: { type: 'text', text } } };
}

function unpackAll(payloads: string[]): Entry[] {
  return payloads.flatMap((payload) => unpackPreviews(payload)!.entries);
}

function textOf(entries: Entry[]): string {
  return entries.map(([, p]) => (p.type === 'event_delta' ? p.delta.content.text : '')).join('');
}

describe('preview batches', () => {
  it('pack many small previews into few payloads, each under the limit, in order', () => {
    const entries: Entry[] = [['sesn_1', { type: 'event_start', event: { type: 'agent.message', id: 'sevt_m' } }]];
    for (let i = 0; i < 2000; i += 1) entries.push([i % 2 === 0 ? 'sesn_1' : 'sesn_2', delta(`token ${i} `)]);
    let counter = 0;
    const payloads = packPreviews('origin1', entries, () => (counter += 1));
    expect(payloads.length).toBeGreaterThan(1);
    expect(payloads.length).toBeLessThan(40);
    for (const payload of payloads) expect(Buffer.byteLength(payload)).toBeLessThan(8000);
    expect(unpackAll(payloads)).toEqual(entries);
    expect(unpackPreviews(payloads[0]!)!.origin).toBe('origin1');
  });

  it('cut a text delta too large for one payload into deltas that join up to it, even in multibyte text', () => {
    const text = 'é'.repeat(5000) + '😀'.repeat(3000) + '\u0001'.repeat(2000) + 'end';
    const payloads = packPreviews('o', [['sesn_1', delta(text)]], () => 1);
    expect(payloads.length).toBeGreaterThan(3);
    for (const payload of payloads) expect(Buffer.byteLength(payload)).toBeLessThanOrEqual(MAX_PAYLOAD_BYTES);
    const entries = unpackAll(payloads);
    expect(entries.every(([id, p]) => id === 'sesn_1' && p.type === 'event_delta' && p.event_id === 'sevt_m')).toBe(true);
    expect(textOf(entries)).toBe(text);
    // No piece ends inside a surrogate pair.
    for (const [, p] of entries) expect(p.type === 'event_delta' && /[\uD800-\uDBFF]$/.test(p.delta.content.text)).toBe(false);
  });

  it('number payloads so that two batches of the same previews stay two notifications', () => {
    let counter = 0;
    const first = packPreviews('o', [['sesn_1', delta('same')]], () => (counter += 1));
    const second = packPreviews('o', [['sesn_1', delta('same')]], () => (counter += 1));
    expect(first[0]).not.toBe(second[0]);
  });

  it('read back nothing from a payload that is not a batch', () => {
    expect(unpackPreviews('not json')).toBeUndefined();
    expect(unpackPreviews('{"o":1}')).toBeUndefined();
    expect(unpackPreviews('"text"')).toBeUndefined();
  });
});
