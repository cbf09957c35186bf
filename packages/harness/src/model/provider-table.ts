import type { ModelConfig } from '@longhand/protocol';
import { AnthropicModel } from './anthropic/anthropic-model.js';
import type { Model, ModelRouter } from './model.js';
import { OpenAiModel } from './openai/openai-model.js';

export type ProviderConfig =
  | { type: 'anthropic'; baseURL?: string; apiKey?: string; apiKeyEnv?: string; thinking?: 'adaptive' | 'off'; timeoutMs?: number }
  | { type: 'openai'; baseURL: string; apiKey?: string; apiKeyEnv?: string; timeoutMs?: number };

export interface ModelRoute {
  /** A model id, or a pattern with `*` wildcards such as `claude-*` or `llama3*`. */
  match: string;
  provider: string;
  /** The name the provider knows the model by, when it differs. */
  model?: string;
  contextWindow?: number;
}

/**
 * Which provider serves which model. The default table sends every model to the Anthropic API
 * (honouring `ANTHROPIC_API_KEY` and `ANTHROPIC_BASE_URL`).
 *
 * @example
 * { providers: { local: { type: 'openai', baseURL: 'http://127.0.0.1:11434/v1' } },
 *   models: [{ match: 'llama3*', provider: 'local', contextWindow: 131072 }] }
 */
export interface ProviderTable {
  providers: Record<string, ProviderConfig>;
  models: ModelRoute[];
  /** Provider for models no route matches. */
  default?: string;
}

export const DEFAULT_PROVIDER_TABLE: ProviderTable = {
  providers: { anthropic: { type: 'anthropic' } },
  models: [],
  default: 'anthropic',
};

function matches(pattern: string, id: string): boolean {
  const regex = new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return regex.test(id);
}

/** A `ModelRouter` over a provider table; adapters are made once per route and reused. */
export class ProviderRouter implements ModelRouter {
  private readonly cache = new Map<string, Model>();

  constructor(private readonly table: ProviderTable = DEFAULT_PROVIDER_TABLE) {
    for (const route of table.models) {
      if (!table.providers[route.provider]) throw new Error(`model route "${route.match}" names unknown provider "${route.provider}"`);
    }
    if (table.default && !table.providers[table.default]) throw new Error(`default provider "${table.default}" is not defined`);
  }

  resolve(model: ModelConfig): Model {
    const route = this.table.models.find((r) => matches(r.match, model.id));
    const providerName = route?.provider ?? this.table.default;
    if (!providerName) throw new Error(`no provider serves model ${model.id}; add a route for it`);
    const key = `${providerName}\u0000${route?.match ?? '*'}`;
    let adapter = this.cache.get(key);
    if (!adapter) {
      adapter = this.make(this.table.providers[providerName]!, route);
      this.cache.set(key, adapter);
    }
    return adapter;
  }

  private make(provider: ProviderConfig, route: ModelRoute | undefined): Model {
    const apiKey = provider.apiKey ?? (provider.apiKeyEnv ? process.env[provider.apiKeyEnv] : undefined);
    if (provider.type === 'anthropic') {
      return new AnthropicModel({
        apiKey,
        baseURL: provider.baseURL,
        ...(route?.contextWindow ? { contextWindow: route.contextWindow } : {}),
        ...(provider.thinking ? { thinking: provider.thinking } : {}),
        ...(provider.timeoutMs ? { timeoutMs: provider.timeoutMs } : {}),
      });
    }
    return new OpenAiModel({
      baseURL: provider.baseURL,
      apiKey,
      model: route?.model,
      ...(route?.contextWindow ? { contextWindow: route.contextWindow } : {}),
      ...(provider.timeoutMs ? { timeoutMs: provider.timeoutMs } : {}),
    });
  }
}
