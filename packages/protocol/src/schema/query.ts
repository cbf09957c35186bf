import { z } from 'zod';
import { parseTimestamp } from '../time.js';

/** Query values arrive as strings; an empty value means "absent" (spec 1.4). */
const str = z.string().optional();

const bool = z
  .enum(['true', 'false'], { error: "must be 'true' or 'false'" })
  .optional()
  .transform((v) => (v === undefined ? undefined : v === 'true'));

const timestamp = z
  .string()
  .optional()
  .refine((v) => v === undefined || parseTimestamp(v) !== undefined, 'must be an RFC 3339 timestamp')
  .transform((v) => (v === undefined ? undefined : new Date(parseTimestamp(v)!).toISOString()));

function limitOf(max: number) {
  return z
    .string()
    .optional()
    .refine((v) => v === undefined || /^\d+$/.test(v), 'must be a whole number')
    .transform((v) => (v === undefined ? undefined : Number(v)))
    .refine((v) => v === undefined || (v >= 1 && v <= max), `must be between 1 and ${max}`);
}

const order = z.enum(['asc', 'desc']).optional();
const list = z.array(z.string()).optional();

/** Query bits every list endpoint accepts, besides its own filters. `beta` is always ignored. */
const base = { limit: limitOf(1000), page: str, beta: str };
const createdRange = {
  'created_at[gt]': timestamp,
  'created_at[gte]': timestamp,
  'created_at[lt]': timestamp,
  'created_at[lte]': timestamp,
};

export const ResourceListQuery = z.strictObject({ ...base, include_archived: bool, ...createdRange });

export const AgentVersionsQuery = z.strictObject({ ...base });

export const AgentRetrieveQuery = z.strictObject({
  beta: str,
  version: z
    .string()
    .optional()
    .refine((v) => v === undefined || /^[1-9]\d*$/.test(v), 'must be a positive whole number')
    .transform((v) => (v === undefined ? undefined : Number(v))),
});

export const SessionListQuery = z.strictObject({
  ...base,
  order,
  agent_id: str,
  agent_version: z
    .string()
    .optional()
    .refine((v) => v === undefined || /^[1-9]\d*$/.test(v), 'must be a positive whole number')
    .transform((v) => (v === undefined ? undefined : Number(v))),
  deployment_id: str,
  memory_store_id: str,
  statuses: z.array(z.enum(['idle', 'running', 'rescheduling', 'terminated'])).optional(),
  include_archived: bool,
  ...createdRange,
});

export const EventListQuery = z.strictObject({ ...base, order, types: list, ...createdRange });

export const EventStreamQuery = z.strictObject({
  beta: str,
  event_deltas: z.array(z.enum(['agent.message', 'agent.thinking'])).max(100).optional(),
});

export const PlainQuery = z.strictObject({ beta: str });

export const WorkspacePathQuery = z.strictObject({ beta: str, path: z.string().min(1).max(4096).optional(), page: str, limit: limitOf(1000) });

export const FileListQuery = z.strictObject({ ...base, scope_id: str, ids: z.array(z.string()).max(100).optional() });

export type ResourceListQueryT = z.output<typeof ResourceListQuery>;
export type SessionListQueryT = z.output<typeof SessionListQuery>;
export type EventListQueryT = z.output<typeof EventListQuery>;
