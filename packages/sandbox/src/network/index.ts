/**
 * Egress control for sandboxes and server-side fetches: address classification, the network
 * policy, pinned resolution, the per-sandbox egress proxy and a policy-checked fetch.
 */
export { classifyAddress, describeAddressClass, explainAddressClass, isPublicAddress, unmapAddress } from './address-class.js';
export type { AddressCategory, AddressClass } from './address-class.js';
export { startEgressProxy } from './egress-proxy.js';
export type { EgressLogEntry, EgressProxy, EgressProxyOptions } from './egress-proxy.js';
export { EgressError } from './errors.js';
export type { EgressErrorCode } from './errors.js';
export { guardedFetch } from './guarded-fetch.js';
export type { GuardedFetchOptions, GuardedFetchResponse } from './guarded-fetch.js';
export { stripHopByHop } from './hop-by-hop.js';
export { formatIp, parseHost, parseIpLiteral } from './ip-literal.js';
export type { IpAddress, ParsedHost } from './ip-literal.js';
export { PACKAGE_REGISTRY_HOSTS, packageRegistryHosts } from './package-registries.js';
export { connectPinned } from './pinned-connect.js';
export type { ConnectOptions } from './pinned-connect.js';
export { createNetworkPolicy } from './policy.js';
export type { EgressDecision, EgressHost, HostDecision, NetworkingConfig, NetworkPolicy, NetworkPolicyOptions, OperatorOrigin } from './policy.js';
export { METADATA_HOST_NAMES, reservedNameReason } from './reserved-names.js';
export { resolveEgress, systemResolver } from './resolve.js';
export type { EgressTarget, ResolveOptions, Resolver } from './resolve.js';
