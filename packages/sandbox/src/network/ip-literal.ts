/**
 * Parsing of IP literals in every notation a client (or an attacker) can write them in.
 *
 * Resolvers disagree about what a string like `0177.1` means: `inet_aton` and WHATWG URL read it
 * as 127.0.0.1, `inet_pton` rejects it, a naive regex reads it as a public address. The egress
 * checks therefore decide what a host means *once*, here, and connect to exactly the address they
 * decided about; anything that looks numeric but is not a valid literal is rejected rather than
 * handed to a resolver that might read it differently.
 */

/** An IP address as bytes (4 or 16), with the IPv6 zone id when one was written. */
export interface IpAddress {
  /** 4 or 6. */
  readonly family: 4 | 6;
  /** Network-order bytes: 4 for IPv4, 16 for IPv6. */
  readonly bytes: Uint8Array;
  /** The zone (`eth0` in `fe80::1%eth0`); absent when none was written. */
  readonly zone?: string;
}

/** What a host string denotes: an IP literal, a DNS name, or nothing usable. */
export type ParsedHost =
  | { readonly kind: 'ip'; readonly address: IpAddress }
  | { readonly kind: 'name'; readonly name: string }
  | { readonly kind: 'invalid'; readonly reason: string };

const MAX_NAME_LENGTH = 253;
const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;
const NUMERIC_PART = /^(?:0x[0-9a-f]*|[0-9]+)$/;

/**
 * Parses a host as it appears in a URL, a `CONNECT` target or a config entry: a DNS name, an IPv4
 * literal in any `inet_aton` notation (`127.0.0.1`, `2130706433`, `0177.0.0.1`, `0x7f.1`, `127.1`),
 * or an IPv6 literal with or without brackets and zone id (`[fe80::1%25eth0]`). Names come back
 * lower-cased without a trailing dot.
 *
 * Following WHATWG URL, a host whose last label is numeric is an IPv4 literal or invalid, never a
 * name, so `1.2.3.4.5` or `foo.0x10` cannot slip past as names and be read as addresses later.
 *
 * @example parseHost('0x7f.1') // { kind: 'ip', address: 127.0.0.1 }
 */
export function parseHost(input: string): ParsedHost {
  let host = input.toLowerCase();
  if (host === '') return invalid('the host is empty');
  if (host.startsWith('[') || host.endsWith(']')) {
    if (!host.startsWith('[') || !host.endsWith(']')) return invalid(`${input} has unbalanced brackets`);
    const address = parseIpv6(host.slice(1, -1), true);
    return address ? { kind: 'ip', address } : invalid(`${input} is not a valid IPv6 literal`);
  }
  if (host.includes(':')) {
    const address = parseIpv6(host, false);
    return address ? { kind: 'ip', address } : invalid(`${input} is not a valid IPv6 literal`);
  }
  if (host.endsWith('.')) host = host.slice(0, -1);
  const labels = host.split('.');
  if (NUMERIC_PART.test(labels[labels.length - 1] ?? '')) {
    const address = parseIpv4(host);
    return address ? { kind: 'ip', address } : invalid(`${input} looks like an IPv4 address but is not a valid one`);
  }
  if (host.length > MAX_NAME_LENGTH || !labels.every((label) => LABEL.test(label))) {
    return invalid(`${input} is not a valid host name`);
  }
  return { kind: 'name', name: host };
}

/**
 * Parses an IP literal in any notation `parseHost` accepts; `undefined` for names and garbage.
 * @example parseIpLiteral('::ffff:7f00:1') // IPv6 bytes of ::ffff:127.0.0.1
 */
export function parseIpLiteral(input: string): IpAddress | undefined {
  const parsed = parseHost(input);
  return parsed.kind === 'ip' ? parsed.address : undefined;
}

/**
 * Parses IPv4 the way `inet_aton` and WHATWG URL do: one to four parts separated by dots, each
 * decimal, octal (leading `0`) or hex (`0x`); the last part fills the remaining bytes.
 */
export function parseIpv4(input: string): IpAddress | undefined {
  const text = input.endsWith('.') ? input.slice(0, -1) : input;
  const parts = text.split('.');
  if (parts.length < 1 || parts.length > 4) return undefined;
  const values: bigint[] = [];
  for (const part of parts) {
    const value = parseIpv4Part(part);
    if (value === undefined) return undefined;
    values.push(value);
  }
  const last = values.pop()!;
  if (values.some((value) => value > 255n)) return undefined;
  const lastBytes = 4 - values.length;
  if (last >= 1n << BigInt(8 * lastBytes)) return undefined;
  const bytes = new Uint8Array(4);
  values.forEach((value, index) => (bytes[index] = Number(value)));
  for (let index = 0; index < lastBytes; index += 1) {
    bytes[3 - index] = Number((last >> BigInt(8 * index)) & 0xffn);
  }
  return { family: 4, bytes };
}

function parseIpv4Part(part: string): bigint | undefined {
  if (part === '') return undefined;
  // BigInt keeps absurdly long parts exact, so `4294967296` or `0x1_0000_0000` is rejected, not wrapped.
  if (/^0x[0-9a-f]*$/.test(part)) return part.length === 2 ? 0n : BigInt(part);
  if (/^0[0-7]+$/.test(part)) return BigInt(`0o${part.slice(1)}`);
  if (/^(?:0|[1-9][0-9]*)$/.test(part)) return BigInt(part);
  return undefined;
}

/**
 * Parses an IPv6 literal (RFC 4291 text forms: full, `::`-compressed, with a trailing dotted quad)
 * with an optional zone. Inside brackets the zone may be written URL-encoded (`%25eth0`).
 */
export function parseIpv6(input: string, bracketed = false): IpAddress | undefined {
  let text = input;
  let zone: string | undefined;
  const percent = text.indexOf('%');
  if (percent >= 0) {
    zone = text.slice(percent + 1);
    text = text.slice(0, percent);
    if (bracketed && zone.startsWith('25') && zone.length > 2) zone = zone.slice(2);
    if (!/^[a-z0-9_.-]+$/i.test(zone)) return undefined;
  }
  const groups = parseIpv6Groups(text);
  if (!groups) return undefined;
  const bytes = new Uint8Array(16);
  groups.forEach((group, index) => {
    bytes[index * 2] = group >> 8;
    bytes[index * 2 + 1] = group & 0xff;
  });
  return zone === undefined ? { family: 6, bytes } : { family: 6, bytes, zone };
}

function parseIpv6Groups(text: string): number[] | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] === '' ? [] : halves[0]!.split(':');
  const tail = halves.length === 2 ? (halves[1] === '' ? [] : halves[1]!.split(':')) : undefined;
  const written = [...head, ...(tail ?? [])];
  const lastPart = tail ? tail[tail.length - 1] : head[head.length - 1];
  const groups: number[] = [];
  for (const [index, part] of written.entries()) {
    if (part.includes('.')) {
      // A dotted quad may only end the address, and only in strict decimal form (as inet_pton).
      const quad = index === written.length - 1 && part === lastPart ? parseDottedQuad(part) : undefined;
      if (!quad) return undefined;
      groups.push((quad[0]! << 8) | quad[1]!, (quad[2]! << 8) | quad[3]!);
    } else if (/^[0-9a-f]{1,4}$/.test(part)) {
      groups.push(parseInt(part, 16));
    } else {
      return undefined;
    }
  }
  if (!tail) return groups.length === 8 ? groups : undefined;
  if (groups.length > 7) return undefined;
  const headCount = groups.length - countGroups(tail);
  return [...groups.slice(0, headCount), ...new Array<number>(8 - groups.length).fill(0), ...groups.slice(headCount)];
}

/** Strict dotted decimal, as inside an IPv6 literal: four parts, no leading zeros, each <= 255. */
function parseDottedQuad(text: string): number[] | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((part) => /^(?:0|[1-9][0-9]{0,2})$/.test(part))) return undefined;
  const values = parts.map(Number);
  return values.every((value) => value <= 255) ? values : undefined;
}

function countGroups(parts: readonly string[]): number {
  return parts.reduce((count, part) => count + (part.includes('.') ? 2 : 1), 0);
}

/**
 * The canonical text of an address: dotted decimal for IPv4, RFC 5952 for IPv6 (lower case, the
 * longest run of zero groups compressed), without zone or brackets. Two spellings of the same
 * address always format the same, which is what allowlist comparisons rely on.
 */
export function formatIp(address: IpAddress): string {
  const { bytes } = address;
  if (address.family === 4) return Array.from(bytes).join('.');
  const groups: number[] = [];
  for (let index = 0; index < 16; index += 2) groups.push((bytes[index]! << 8) | bytes[index + 1]!);
  let bestStart = -1;
  let bestLength = 1;
  for (let start = 0; start < 8; start += 1) {
    let length = 0;
    while (start + length < 8 && groups[start + length] === 0) length += 1;
    if (length > bestLength) {
      bestStart = start;
      bestLength = length;
    }
  }
  const hex = groups.map((group) => group.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/** The IPv4 address held in `bytes[offset..offset+4]` of an IPv6 address. */
export function embeddedIpv4(address: IpAddress, offset: number): IpAddress {
  return { family: 4, bytes: address.bytes.slice(offset, offset + 4) };
}

/** Whether `address` lies in `prefix/bits` (same family only). */
export function inPrefix(address: IpAddress, prefix: IpAddress, bits: number): boolean {
  if (address.family !== prefix.family) return false;
  for (let bit = 0; bit < bits; bit += 8) {
    const mask = bits - bit >= 8 ? 0xff : (0xff << (8 - (bits - bit))) & 0xff;
    if ((address.bytes[bit / 8]! & mask) !== (prefix.bytes[bit / 8]! & mask)) return false;
  }
  return true;
}

function invalid(reason: string): ParsedHost {
  return { kind: 'invalid', reason };
}
