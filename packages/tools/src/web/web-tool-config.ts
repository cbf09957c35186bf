/**
 * The web tools' settings as an agent carries them: in the `configs` of its
 * `agent_toolset_20260401` entry (spec §3.1.1). Read structurally, so this package needs no
 * protocol types; anything malformed reads as "not set".
 */

import type { WebFetchConfig } from './web-fetch-tool.js';
import type { WebSearchConfig } from './web-search-tool.js';
import type { UserLocation } from '../search-provider.js';

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function strings(value: unknown): string[] | undefined {
  return Array.isArray(value) && value.every((item) => typeof item === 'string') ? value : undefined;
}

function toolConfig(agentTools: readonly unknown[], name: string): Record<string, unknown> | undefined {
  for (const tool of agentTools) {
    const entry = record(tool);
    if (entry?.type !== 'agent_toolset_20260401' || !Array.isArray(entry.configs)) continue;
    const config = entry.configs.map(record).find((candidate) => candidate?.name === name);
    if (config) return config;
  }
  return undefined;
}

/** The `web_fetch` settings in an agent's `tools` array (empty when none are set). */
export function webFetchConfigOf(agentTools: readonly unknown[]): WebFetchConfig {
  const config = toolConfig(agentTools, 'web_fetch') ?? {};
  const tokens = config.max_content_tokens;
  return {
    allowed_domains: strings(config.allowed_domains),
    blocked_domains: strings(config.blocked_domains),
    max_content_tokens: typeof tokens === 'number' && Number.isFinite(tokens) && tokens > 0 ? tokens : undefined,
  };
}

/** The `web_search` settings in an agent's `tools` array (empty when none are set). */
export function webSearchConfigOf(agentTools: readonly unknown[]): WebSearchConfig {
  const config = toolConfig(agentTools, 'web_search') ?? {};
  const location = record(config.user_location);
  return {
    allowed_domains: strings(config.allowed_domains),
    blocked_domains: strings(config.blocked_domains),
    user_location: location?.type === 'approximate' ? (location as unknown as UserLocation) : undefined,
  };
}
