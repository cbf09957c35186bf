/**
 * The `allowed_domains` / `blocked_domains` of the web tools' config (spec §3.1.1). An entry is a
 * domain, optionally with a path: `example.com` covers example.com and every subdomain of it;
 * `example.com/docs` only addresses under /docs. A scheme or a leading `*.` is tolerated.
 */

import { domainToASCII } from 'node:url';

export interface DomainRules {
  allowedDomains?: readonly string[] | null;
  blockedDomains?: readonly string[] | null;
}

interface Entry {
  host: string;
  path: string;
}

function parseEntry(raw: string): Entry | undefined {
  let text = raw.trim().toLowerCase().replace(/^[a-z][a-z0-9+.-]*:\/\//, '').replace(/^\*\./, '').replace(/^\./, '');
  const slash = text.indexOf('/');
  let path = '';
  if (slash >= 0) {
    path = text.slice(slash).replace(/\/+$/, '');
    text = text.slice(0, slash);
  }
  // A port says nothing about which site it is.
  const host = domainToASCII(text.replace(/:\d+$/, '').replace(/\.$/, ''));
  return host === '' ? undefined : { host, path };
}

function hostOf(url: URL): string {
  return url.hostname.toLowerCase().replace(/\.$/, '').replace(/^\[|\]$/g, '');
}

/** Whether `url` falls under a domain entry. */
export function matchesDomain(url: URL, entry: string): boolean {
  const parsed = parseEntry(entry);
  if (!parsed) return false;
  const host = hostOf(url);
  if (host !== parsed.host && !host.endsWith(`.${parsed.host}`)) return false;
  if (parsed.path === '') return true;
  const path = url.pathname.toLowerCase();
  return path === parsed.path || path.startsWith(`${parsed.path}/`);
}

/**
 * Why `url` may not be used under these rules, or `undefined` when it may.
 *
 * @example
 * refusal(new URL('https://docs.example.com/x'), { allowedDomains: ['example.com'] }) // undefined
 * refusal(new URL('https://evil.test/'), { allowedDomains: ['example.com'] })          // 'evil.test is not …'
 */
export function refusal(url: URL, rules: DomainRules): string | undefined {
  const blocked = rules.blockedDomains?.find((entry) => matchesDomain(url, entry));
  if (blocked !== undefined) return `${hostOf(url)} is blocked by this agent's configuration (blocked_domains: ${blocked})`;
  const allowed = rules.allowedDomains;
  if (allowed && allowed.length > 0 && !allowed.some((entry) => matchesDomain(url, entry))) {
    return `${hostOf(url)} is not among the domains this agent may use (allowed_domains: ${allowed.join(', ')})`;
  }
  return undefined;
}
