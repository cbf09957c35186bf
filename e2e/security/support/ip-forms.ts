/**
 * Every way an attacker can spell one IPv4 address in a URL, so a policy that only recognises
 * dotted quads is caught: integer, octal and hex forms (whole or per part), the short `a.b.c` and
 * `a.b` forms, and IPv6 addresses that carry the IPv4 address inside (mapped, compatible, NAT64,
 * 6to4).
 */

/** One spelling of an address, ready for a URL's host part. */
export interface IpForm {
  /** What the form is, for failure messages (`octal`, `v6 mapped`…). */
  form: string;
  /** The URL host (IPv6 in brackets). */
  host: string;
}

function parts(address: string): [number, number, number, number] {
  const octets = address.split('.').map(Number);
  if (octets.length !== 4 || octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255)) throw new Error(`not an IPv4 address: ${address}`);
  return octets as [number, number, number, number];
}

const hex16 = (high: number, low: number): string => ((high << 8) | low).toString(16);

/** The spellings of `address` (a dotted IPv4 address). */
export function ipForms(address: string): IpForm[] {
  const [a, b, c, d] = parts(address);
  const integer = ((a << 24) >>> 0) + (b << 16) + (c << 8) + d;
  return [
    { form: 'dotted', host: address },
    { form: 'decimal integer', host: String(integer) },
    { form: 'octal parts', host: [a, b, c, d].map((o) => `0${o.toString(8)}`).join('.') },
    { form: 'hex integer', host: `0x${integer.toString(16)}` },
    { form: 'hex parts', host: [a, b, c, d].map((o) => `0x${o.toString(16)}`).join('.') },
    { form: 'mixed parts', host: `0x${a.toString(16)}.${b}.0${c.toString(8)}.${d}` },
    { form: 'three parts', host: `${a}.${b}.${(c << 8) + d}` },
    { form: 'two parts', host: `${a}.${(b << 16) + (c << 8) + d}` },
    { form: 'octal integer', host: `0${integer.toString(8)}` },
    { form: 'v6 mapped dotted', host: `[::ffff:${address}]` },
    { form: 'v6 mapped hex', host: `[::ffff:${hex16(a, b)}:${hex16(c, d)}]` },
    { form: 'v6 mapped expanded', host: `[0:0:0:0:0:ffff:${hex16(a, b)}:${hex16(c, d)}]` },
    { form: 'v6 compatible', host: `[::${address}]` },
    { form: 'v6 NAT64', host: `[64:ff9b::${hex16(a, b)}:${hex16(c, d)}]` },
    { form: 'v6 6to4', host: `[2002:${hex16(a, b)}:${hex16(c, d)}::1]` },
  ];
}
