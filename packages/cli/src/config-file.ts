import { readFileSync } from 'node:fs';
import type { RuntimeConfig } from '@longhand/runtime';

/**
 * The optional configuration file of `longhand serve` (`--config`, `LONGHAND_CONFIG`):
 *
 * ```json
 * {
 *   "models": {
 *     "providers": { "anthropic": { "type": "anthropic" },
 *                    "local": { "type": "openai", "baseURL": "http://127.0.0.1:11434/v1" } },
 *     "models": [{ "match": "llama3*", "provider": "local", "contextWindow": 131072 }],
 *     "default": "anthropic"
 *   },
 *   "prices": [{ "match": "llama3*", "price": { "input": 0, "output": 0 } }],
 *   "harness": { "maxToolRounds": 200, "compactionThreshold": 0.8 }
 * }
 * ```
 */
export type FileConfig = Pick<RuntimeConfig, 'models' | 'prices'> & { harness?: Record<string, unknown> };

const HARNESS_KEYS = new Set(['maxToolRounds', 'maxRetries', 'compactionThreshold', 'maxConsecutiveCompactions', 'maxOutputTokens', 'systemAppendix']);

function fail(path: string, message: string): never {
  throw new Error(`${path}: ${message}`);
}

/** Reads and checks a configuration file; errors name the file and the bad field. */
export function readConfigFile(path: string): FileConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    fail(path, `cannot read it as JSON (${(error as Error).message})`);
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) fail(path, 'must hold a JSON object');
  const config = raw as Record<string, unknown>;
  for (const key of Object.keys(config)) if (!['models', 'prices', 'harness'].includes(key)) fail(path, `unknown field "${key}"`);
  const models = config.models as Record<string, unknown> | undefined;
  if (models !== undefined) {
    if (typeof models !== 'object' || !models.providers || typeof models.providers !== 'object') fail(path, 'models.providers must be an object');
    for (const [name, provider] of Object.entries(models.providers as Record<string, { type?: string; baseURL?: string }>)) {
      if (provider.type !== 'anthropic' && provider.type !== 'openai') fail(path, `models.providers.${name}.type must be "anthropic" or "openai"`);
      if (provider.type === 'openai' && typeof provider.baseURL !== 'string') fail(path, `models.providers.${name}.baseURL is required for openai providers`);
    }
    if (models.models !== undefined && !Array.isArray(models.models)) fail(path, 'models.models must be an array of routes');
    models.models ??= [];
  }
  if (config.prices !== undefined && !Array.isArray(config.prices)) fail(path, 'prices must be an array of { match, price }');
  const harness = config.harness as Record<string, unknown> | undefined;
  if (harness !== undefined) {
    for (const [key, value] of Object.entries(harness)) {
      if (!HARNESS_KEYS.has(key)) fail(path, `unknown field "harness.${key}"`);
      if (key !== 'systemAppendix' && typeof value !== 'number') fail(path, `harness.${key} must be a number`);
    }
  }
  return config as FileConfig;
}
