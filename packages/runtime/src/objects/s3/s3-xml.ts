/**
 * The few S3 XML documents the client reads (a listing page, an error, a new multipart upload)
 * and the one it writes (the list of parts that completes an upload). S3's XML is flat and
 * regular enough that element extraction by name suffices; no XML library is needed.
 */
import type { ObjectInfo } from '../object-store.js';

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Text content with XML entities (named and numeric) decoded. */
export function xmlText(raw: string): string {
  return raw.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (whole, name: string) => {
    if (name.startsWith('#x')) return String.fromCodePoint(parseInt(name.slice(2), 16));
    if (name.startsWith('#')) return String.fromCodePoint(parseInt(name.slice(1), 10));
    return ENTITIES[name] ?? whole;
  });
}

/** Escapes text for an XML element. */
export function xmlEscape(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&${Object.entries(ENTITIES).find(([, value]) => value === char)![0]};`);
}

/** The decoded text of the first `<name>` element in `xml`, if any. */
export function element(xml: string, name: string): string | undefined {
  const match = new RegExp(`<${name}(?:\\s[^>]*)?>([\\s\\S]*?)</${name}>`).exec(xml);
  return match ? xmlText(match[1]!) : undefined;
}

/** Every `<name>…</name>` block of `xml`, raw. */
function blocks(xml: string, name: string): string[] {
  return [...xml.matchAll(new RegExp(`<${name}(?:\\s[^>]*)?>([\\s\\S]*?)</${name}>`, 'g'))].map((m) => m[1]!);
}

/** One page of a ListObjectsV2 answer. */
export interface ListPage {
  objects: ObjectInfo[];
  /** Set when more pages follow. */
  nextToken: string | undefined;
}

/** Parses a `ListBucketResult` (ListObjectsV2); keys are returned without the store's prefix removed. */
export function parseListPage(xml: string): ListPage {
  const objects = blocks(xml, 'Contents').map((block) => ({
    key: element(block, 'Key') ?? '',
    size: Number(element(block, 'Size') ?? 0),
    lastModified: Date.parse(element(block, 'LastModified') ?? ''),
  }));
  const truncated = element(xml, 'IsTruncated') === 'true';
  return { objects, nextToken: truncated ? element(xml, 'NextContinuationToken') : undefined };
}

/** The `<Code>` and `<Message>` of an S3 error document, when the body is one. */
export function parseError(xml: string): { code: string; message: string } | undefined {
  if (!xml.includes('<Error')) return undefined;
  return { code: element(xml, 'Code') ?? 'Unknown', message: element(xml, 'Message') ?? '' };
}

/** The body of CompleteMultipartUpload: each part's number and the ETag its upload returned. */
export function completeUploadXml(parts: ReadonlyArray<{ number: number; etag: string }>): string {
  const items = parts.map((part) => `<Part><PartNumber>${part.number}</PartNumber><ETag>${xmlEscape(part.etag)}</ETag></Part>`);
  return `<?xml version="1.0" encoding="UTF-8"?><CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${items.join('')}</CompleteMultipartUpload>`;
}
