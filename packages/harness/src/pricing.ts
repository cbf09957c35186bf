import type { ModelUsageCounts } from './model/model.js';

/** List prices in US dollars per million tokens. */
export interface ModelPrice {
  input: number;
  output: number;
  /** Writing the prompt cache (5-minute entries). Defaults to 1.25 × input. */
  cacheWrite?: number;
  /** Reading the prompt cache. Defaults to 0.1 × input. */
  cacheRead?: number;
}

/** Prices by model id pattern (`*` wildcards), first match wins. */
export type PriceTable = Array<{ match: string; price: ModelPrice }>;

/** List prices of the Claude models the SDK knows, as published at the time of writing. */
export const DEFAULT_PRICES: PriceTable = [
  { match: 'claude-opus-4-1*', price: { input: 15, output: 75 } },
  { match: 'claude-opus-4-0*', price: { input: 15, output: 75 } },
  { match: 'claude-opus-4-20250514', price: { input: 15, output: 75 } },
  { match: 'claude-opus-*', price: { input: 5, output: 25 } },
  { match: 'claude-sonnet-*', price: { input: 3, output: 15 } },
  { match: 'claude-haiku-4*', price: { input: 1, output: 5 } },
  { match: 'claude-haiku-5*', price: { input: 1, output: 5 } },
  { match: 'claude-fable-*', price: { input: 3, output: 15 } },
];

function matches(pattern: string, id: string): boolean {
  const regex = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return regex.test(id);
}

/** The price of a model, or undefined when the table has none (the model is not budgetable). */
export function priceOf(table: PriceTable, modelId: string): ModelPrice | undefined {
  return table.find((entry) => matches(entry.match, modelId))?.price;
}

/**
 * The list cost of one request in micro-dollars (millionths of a dollar), exact enough to add
 * up over a long session without drift; the wire shows whole cents.
 */
export function costMicros(price: ModelPrice, usage: ModelUsageCounts): number {
  const write = price.cacheWrite ?? price.input * 1.25;
  const read = price.cacheRead ?? price.input * 0.1;
  // $ per million tokens × tokens = micro-dollars.
  return Math.round(
    price.input * usage.input_tokens +
      price.output * usage.output_tokens +
      write * usage.cache_creation_input_tokens +
      read * usage.cache_read_input_tokens,
  );
}

/** Micro-dollars to the wire's whole cents, rounded up so a budget is never under-reported. */
export function centsOf(micros: number): string {
  return String(Math.ceil(micros / 10_000));
}
