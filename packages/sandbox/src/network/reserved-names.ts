/**
 * Host names that are denied before any DNS lookup. Each would also be caught after resolution
 * (they resolve to metadata or loopback addresses), but naming them keeps the decision independent
 * of the host's resolver configuration and gives the agent a clear reason.
 */

/** Names of cloud metadata services, as the providers document them (lower case, no trailing dot). */
export const METADATA_HOST_NAMES: readonly string[] = [
  'metadata',
  'metadata.google.internal',
  'metadata.goog',
  'instance-data',
  'instance-data.ec2.internal',
];

/** Names of the host itself (RFC 6761 `localhost` and the aliases Debian puts in /etc/hosts). */
export const LOOPBACK_HOST_NAMES: readonly string[] = ['localhost', 'localhost.localdomain', 'ip6-localhost', 'ip6-loopback'];

/**
 * Why a (normalised, lower-case) host name is denied under every policy, or `undefined` if it is
 * not one of the reserved names.
 * @example reservedNameReason('api.localhost') // 'api.localhost is a name of the host itself (*.localhost)'
 */
export function reservedNameReason(name: string): string | undefined {
  if (METADATA_HOST_NAMES.includes(name)) return `${name} is a cloud metadata service name`;
  if (LOOPBACK_HOST_NAMES.includes(name)) return `${name} is a name of the host itself`;
  // RFC 6761: every name under .localhost is loopback, whatever a resolver says.
  if (name.endsWith('.localhost')) return `${name} is a name of the host itself (*.localhost)`;
  return undefined;
}
