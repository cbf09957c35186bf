import type { SessionEvent } from '@longhand/protocol';

/** Tokens of one model request, and the running total at its end. */
export interface RequestPoint {
  t: number;
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
  /** Every token of every request so far. */
  total: number;
}

/** The session's cost so far, in cents, as a `session.usage` snapshot reported it. */
export interface CostPoint {
  t: number;
  cents: number;
}

export interface UsageSeries {
  requests: RequestPoint[];
  cost: CostPoint[];
  totals: { input: number; output: number; cacheRead: number; cacheWrite: number; cents: number; requests: number };
}

/**
 * The data of the usage chart: per-request tokens from `span.model_request_end.model_usage`
 * (summed into a running total) and the cumulative cost from each `session.usage`.
 */
export function usageSeries(events: readonly SessionEvent[]): UsageSeries {
  const requests: RequestPoint[] = [];
  const cost: CostPoint[] = [];
  const totals = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, cents: 0, requests: 0 };
  let running = 0;
  for (const event of events) {
    const t = event.processed_at ? Date.parse(event.processed_at) : Number.NaN;
    if (!Number.isFinite(t)) continue;
    if (event.type === 'span.model_request_end') {
      const usage = event.model_usage;
      const point = {
        t,
        input: usage.input_tokens ?? 0,
        output: usage.output_tokens ?? 0,
        cacheRead: usage.cache_read_input_tokens ?? 0,
        cacheWrite: usage.cache_creation_input_tokens ?? 0,
        total: 0,
      };
      running += point.input + point.output + point.cacheRead + point.cacheWrite;
      point.total = running;
      requests.push(point);
      totals.input += point.input;
      totals.output += point.output;
      totals.cacheRead += point.cacheRead;
      totals.cacheWrite += point.cacheWrite;
      totals.requests += 1;
    } else if (event.type === 'session.usage') {
      const cents = Number(event.usage.list_cost?.amount ?? Number.NaN);
      if (Number.isFinite(cents)) {
        cost.push({ t, cents });
        totals.cents = cents;
      }
    }
  }
  return { requests, cost, totals };
}
