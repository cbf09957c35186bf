import { z } from 'zod';
import { ModelParams, McpServersParams, SkillsParams, ToolsParams } from './agent.js';
import { BudgetParams, Id, Metadata, MetadataPatch } from './common.js';
import { UserDefineOutcomeParams, UserMessageParams } from './events.js';

export const SessionAgentRef = z.union([
  Id,
  z.strictObject({ type: z.literal('agent'), id: Id, version: z.number().int().positive().optional() }),
  z.strictObject({
    type: z.literal('agent_with_overrides'),
    id: Id,
    version: z.number().int().positive().optional(),
    // Null is parsed only to be refused with the reason the spec names (`agent_model_required`).
    model: ModelParams.nullish().refine((model) => model !== null, 'agent_model_required: the model can be overridden but not removed'),
    system: z.string().max(100_000).nullish(),
    tools: ToolsParams.optional(),
    mcp_servers: McpServersParams.optional(),
    skills: SkillsParams.optional(),
  }),
]);

const MountPath = z.string().min(1).max(1024).nullish();

export const SessionResourceParams = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('github_repository'),
    url: z.string().url('must be a valid URL').max(2048),
    authorization_token: z.string().max(4096).optional(),
    checkout: z
      .discriminatedUnion('type', [
        z.strictObject({ type: z.literal('branch'), name: z.string().min(1).max(256) }),
        z.strictObject({ type: z.literal('commit'), sha: z.string().regex(/^[0-9a-fA-F]{7,64}$/, 'must be a hex commit sha') }),
      ])
      .nullish(),
    mount_path: MountPath,
  }),
  z.strictObject({ type: z.literal('file'), file_id: Id, mount_path: MountPath }),
  z.strictObject({
    type: z.literal('memory_store'),
    memory_store_id: Id,
    access: z.enum(['read_write', 'read_only']).nullish(),
    instructions: z.string().max(4096).nullish(),
  }),
]);

export const SessionCreateParams = z.strictObject({
  agent: SessionAgentRef,
  environment_id: Id,
  title: z.string().max(512).nullish(),
  metadata: Metadata.optional(),
  resources: z.array(SessionResourceParams).max(999).optional(),
  vault_ids: z.array(Id).max(20).optional(),
  initial_events: z.array(z.discriminatedUnion('type', [UserMessageParams, UserDefineOutcomeParams])).max(50).optional(),
  budget: BudgetParams.nullish(),
});

export const SessionUpdateParams = z.strictObject({
  title: z.string().max(512).nullish(),
  metadata: MetadataPatch.nullish(),
  agent: z.strictObject({ tools: ToolsParams.optional(), mcp_servers: McpServersParams.optional() }).optional(),
  budget: BudgetParams.nullish(),
  vault_ids: z.unknown().optional(),
});

export const FileResourceAddParams = z.strictObject({ type: z.literal('file'), file_id: Id, mount_path: MountPath });

export type SessionAgentRefT = z.output<typeof SessionAgentRef>;
export type SessionResourceParamsT = z.output<typeof SessionResourceParams>;
export type SessionCreateParamsT = z.output<typeof SessionCreateParams>;
export type SessionUpdateParamsT = z.output<typeof SessionUpdateParams>;

/** `POST /v1/sessions/{id}/fork` (Longhand extension). */
export const SessionForkParams = z.strictObject({
  checkpoint_id: Id.optional(),
  title: z.string().max(512).nullish(),
  metadata: Metadata.optional(),
});

/** `POST /v1/sessions/{id}/restore` (Longhand extension). */
export const SessionRestoreParams = z.strictObject({ checkpoint_id: Id });

/** `POST /v1/sessions/{id}/checkpoints` (Longhand extension): an empty body. */
export const CheckpointCreateParams = z.strictObject({});

export type SessionForkParamsT = z.output<typeof SessionForkParams>;
export type SessionRestoreParamsT = z.output<typeof SessionRestoreParams>;
