/**
 * Which addresses a sandbox may ever reach. The answer is an allowlist in disguise: an address is
 * public only when no special-purpose range (IANA registries, RFC 6890 and successors) claims it,
 * and for IPv6 only inside global unicast space (2000::/3). IPv6 forms that carry an IPv4 address
 * (mapped, translated, NAT64, 6to4, the deprecated compatible form) are judged by the IPv4 address
 * they carry, because that is where the packets end up.
 */
import { embeddedIpv4, formatIp, inPrefix, parseIpLiteral, type IpAddress } from './ip-literal.js';

/** The kind of range an address belongs to; everything but `public` is denied under every policy. */
export type AddressCategory =
  | 'public'
  | 'loopback'
  | 'private'
  | 'link_local'
  | 'metadata'
  | 'cgnat'
  | 'unspecified'
  | 'multicast'
  | 'broadcast'
  | 'reserved';

/** The verdict on one address, with enough context to explain it in a log line. */
export interface AddressClass {
  /** The range's kind; only `public` may be connected to. */
  readonly category: AddressCategory;
  /** The special range that matched (`127.0.0.0/8`); absent for public addresses. */
  readonly range?: string;
  /** What the range is, in words (`loopback`, `the cloud metadata service`). */
  readonly label: string;
  /** For an IPv6 address that carries an IPv4 one: its form and the IPv4 address that decided. */
  readonly embedded?: { readonly form: string; readonly address: IpAddress };
}

interface Range {
  readonly prefix: IpAddress;
  readonly bits: number;
  readonly text: string;
}

interface FixedRule extends Range {
  readonly category: Exclude<AddressCategory, 'public'>;
  readonly label: string;
}

interface EmbeddingRule extends Range {
  readonly form: string;
  /** Where the IPv4 address sits in the 16 bytes. */
  readonly offset: number;
  /** Whether a public IPv4 inside still leaves the IPv6 form unusable (deprecated forms). */
  readonly deprecated: boolean;
}

function range(text: string): Range {
  const [address, bits] = text.split('/') as [string, string];
  const prefix = parseIpLiteral(address);
  if (!prefix) throw new Error(`bad range ${text}`);
  return { prefix, bits: Number(bits), text };
}

function fixed(text: string, category: FixedRule['category'], label: string): FixedRule {
  return { ...range(text), category, label };
}

function embedding(text: string, form: string, offset: number, deprecated = false): EmbeddingRule {
  return { ...range(text), form, offset, deprecated };
}

/**
 * Well-known metadata and host-agent endpoints. Most sit in ranges denied anyway; they are named
 * so that a log says "metadata" rather than "link-local", and Azure's sits in public space.
 */
const METADATA_RULES: readonly FixedRule[] = [
  fixed('169.254.169.254/32', 'metadata', 'the cloud metadata service'),
  fixed('169.254.170.2/32', 'metadata', 'the container metadata service (AWS ECS)'),
  fixed('168.63.129.16/32', 'metadata', 'the Azure host agent (WireServer)'),
  fixed('100.100.100.200/32', 'metadata', 'the cloud metadata service (Alibaba Cloud)'),
  fixed('fd00:ec2::254/128', 'metadata', 'the cloud metadata service (AWS, IPv6)'),
];

const IPV4_RULES: readonly FixedRule[] = [
  fixed('0.0.0.0/8', 'unspecified', '"this network" (0.0.0.0 reaches the host itself)'),
  fixed('10.0.0.0/8', 'private', 'private (RFC 1918)'),
  fixed('100.64.0.0/10', 'cgnat', 'carrier-grade NAT shared space (RFC 6598)'),
  fixed('127.0.0.0/8', 'loopback', 'loopback'),
  fixed('169.254.0.0/16', 'link_local', 'link-local'),
  fixed('172.16.0.0/12', 'private', 'private (RFC 1918)'),
  fixed('192.0.0.0/24', 'reserved', 'IETF protocol assignments'),
  fixed('192.0.2.0/24', 'reserved', 'documentation (TEST-NET-1)'),
  fixed('192.88.99.0/24', 'reserved', 'deprecated 6to4 relay anycast'),
  fixed('192.168.0.0/16', 'private', 'private (RFC 1918)'),
  fixed('198.18.0.0/15', 'reserved', 'benchmarking'),
  fixed('198.51.100.0/24', 'reserved', 'documentation (TEST-NET-2)'),
  fixed('203.0.113.0/24', 'reserved', 'documentation (TEST-NET-3)'),
  fixed('224.0.0.0/4', 'multicast', 'multicast'),
  fixed('255.255.255.255/32', 'broadcast', 'broadcast'),
  fixed('240.0.0.0/4', 'reserved', 'reserved for future use'),
];

/** `::` and `::1` sit inside ::/96 but are not IPv4-compatible addresses: checked first. */
const IPV6_SELF_RULES: readonly FixedRule[] = [
  fixed('::/128', 'unspecified', 'the unspecified address (reaches the host itself)'),
  fixed('::1/128', 'loopback', 'loopback'),
];

const IPV6_RULES: readonly FixedRule[] = [
  fixed('64:ff9b:1::/48', 'reserved', 'local-use NAT64'),
  fixed('100::/64', 'reserved', 'discard-only'),
  fixed('2001:db8::/32', 'reserved', 'documentation'),
  fixed('2001::/32', 'reserved', 'Teredo tunnelling'),
  fixed('2001::/23', 'reserved', 'IETF protocol assignments'),
  fixed('3fff::/20', 'reserved', 'documentation'),
  fixed('fc00::/7', 'private', 'unique local (private)'),
  fixed('fe80::/10', 'link_local', 'link-local'),
  fixed('fec0::/10', 'private', 'deprecated site-local'),
  fixed('ff00::/8', 'multicast', 'multicast'),
];

/** IPv6 forms that carry an IPv4 address; checked after `::` and `::1`, before the other ranges. */
const IPV4_MAPPED = embedding('::ffff:0:0/96', 'IPv4-mapped', 12);
const EMBEDDINGS: readonly EmbeddingRule[] = [
  IPV4_MAPPED,
  embedding('::ffff:0:0:0/96', 'IPv4-translated', 12),
  embedding('64:ff9b::/96', 'NAT64', 12),
  embedding('2002::/16', '6to4', 2),
  embedding('::/96', 'IPv4-compatible', 12, true),
];

const GLOBAL_UNICAST = range('2000::/3');

/**
 * Classifies an address. Pure and total: every address gets exactly one verdict.
 * @example classifyAddress(parseIpLiteral('::ffff:7f00:1')!).category // 'loopback'
 */
export function classifyAddress(address: IpAddress): AddressClass {
  const metadata = METADATA_RULES.find((rule) => matches(address, rule));
  if (metadata) return verdict(metadata);
  if (address.family === 4) {
    const rule = IPV4_RULES.find((candidate) => matches(address, candidate));
    return rule ? verdict(rule) : { category: 'public', label: 'public' };
  }
  const own = IPV6_SELF_RULES.find((rule) => matches(address, rule));
  if (own) return verdict(own);
  const carrier = EMBEDDINGS.find((rule) => matches(address, rule));
  if (carrier) return classifyEmbedded(address, carrier);
  const rule = IPV6_RULES.find((candidate) => matches(address, candidate));
  if (rule) return verdict(rule);
  if (!matches(address, GLOBAL_UNICAST)) {
    return { category: 'reserved', range: 'outside 2000::/3', label: 'not global unicast space' };
  }
  return { category: 'public', label: 'public' };
}

/** Whether an address may be connected to at all (before any policy applies). */
export function isPublicAddress(address: IpAddress): boolean {
  return classifyAddress(address).category === 'public';
}

/**
 * The IPv4 address an IPv4-mapped IPv6 address stands for, else the address itself: connecting
 * to `1.2.3.4` rather than `::ffff:1.2.3.4` works on hosts without IPv6 and means the same.
 */
export function unmapAddress(address: IpAddress): IpAddress {
  return address.family === 6 && matches(address, IPV4_MAPPED) ? embeddedIpv4(address, IPV4_MAPPED.offset) : address;
}

/**
 * What an address is, for logs and for the agent: the range's label and the range itself, and for
 * IPv6 forms that carry an IPv4 address, that address too.
 * @example explainAddressClass(cls) // "the cloud metadata service [169.254.169.254/32]"
 */
export function explainAddressClass(cls: AddressClass): string {
  const what = cls.range ? `${cls.label} [${cls.range}]` : cls.label;
  return cls.embedded ? `the ${cls.embedded.form} form of ${formatIp(cls.embedded.address)}, which is ${what}` : what;
}

/**
 * One sentence: the address and what it is.
 * @example describeAddressClass(address, cls) // "169.254.169.254 is the cloud metadata service [169.254.169.254/32]"
 */
export function describeAddressClass(address: IpAddress, cls: AddressClass): string {
  return `${formatIp(address)} is ${explainAddressClass(cls)}`;
}

function classifyEmbedded(address: IpAddress, rule: EmbeddingRule): AddressClass {
  const inner = embeddedIpv4(address, rule.offset);
  const cls = classifyAddress(inner);
  const embedded = { form: rule.form, address: inner };
  if (cls.category === 'public' && rule.deprecated) {
    return { category: 'reserved', range: rule.text, label: 'public, but that form is deprecated', embedded };
  }
  return { ...cls, embedded };
}

function matches(address: IpAddress, rule: Range): boolean {
  return inPrefix(address, rule.prefix, rule.bits);
}

function verdict(rule: FixedRule): AddressClass {
  return { category: rule.category, range: rule.text, label: rule.label };
}
