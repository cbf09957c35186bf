import { z } from 'zod';
import { Id, Metadata, MetadataPatch } from './common.js';

export const EFFORTS = ['low', 'medium', 'high', 'xhigh', 'max'] as const;
export const BUILTIN_TOOL_NAMES = ['bash', 'edit', 'read', 'write', 'glob', 'grep', 'web_fetch', 'web_search'] as const;
export type BuiltinToolName = (typeof BUILTIN_TOOL_NAMES)[number];

const Effort = z.union([z.enum(EFFORTS), z.strictObject({ type: z.enum(EFFORTS) })]);

/** `model` on create/update/overrides: a bare id or a config object. */
export const ModelParams = z.union([
  z.string().min(1).max(256),
  z.strictObject({
    id: z.string().min(1).max(256),
    effort: Effort.nullish(),
    inference_geo: z.string().max(64).nullish(),
    speed: z.enum(['standard', 'fast']).nullish(),
  }),
]);

export const PermissionPolicy = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('always_allow') }),
  z.strictObject({ type: z.literal('always_ask') }),
  z.strictObject({ type: z.literal('auto') }),
]);

const DefaultConfig = z
  .strictObject({ enabled: z.boolean().nullish(), permission_policy: PermissionPolicy.nullish() })
  .nullish();

const Domains = z.array(z.string().min(1).max(253)).min(1, 'must not be empty').max(64);

const UrlSourceMode = z.union([
  z.enum(['all', 'none']),
  z.strictObject({ type: z.enum(['all', 'none']) }),
  z.strictObject({
    type: z.enum(['only', 'except']),
    tools: z.array(z.strictObject({ type: z.literal('tool_reference'), name: z.string().min(1).max(128) })).min(1).max(128),
  }),
]);

const UrlSources = z.strictObject({
  client_tool_results: UrlSourceMode.nullish(),
  server_tool_results: UrlSourceMode.nullish(),
  user_input: z.union([z.enum(['all', 'none']), z.strictObject({ type: z.enum(['all', 'none']) })]).nullish(),
});

const UserLocation = z.strictObject({
  type: z.literal('approximate'),
  city: z.string().nullish(),
  country: z.string().nullish(),
  region: z.string().nullish(),
  timezone: z.string().nullish(),
});

const ToolConfigParams = z.strictObject({
  name: z.enum(BUILTIN_TOOL_NAMES),
  type: z.enum(BUILTIN_TOOL_NAMES).optional(),
  enabled: z.boolean().nullish(),
  permission_policy: PermissionPolicy.nullish(),
  allowed_domains: Domains.optional(),
  blocked_domains: Domains.optional(),
  max_content_tokens: z.number().int().positive().nullish(),
  url_sources: UrlSources.nullish(),
  user_location: UserLocation.nullish(),
});

export const AgentToolsetParams = z.strictObject({
  type: z.literal('agent_toolset_20260401'),
  default_config: DefaultConfig,
  configs: z.array(ToolConfigParams).max(8).optional(),
});

export const McpToolsetParams = z.strictObject({
  type: z.literal('mcp_toolset'),
  mcp_server_name: z.string().min(1).max(255),
  default_config: DefaultConfig,
  configs: z
    .array(z.strictObject({ name: z.string().min(1).max(128), enabled: z.boolean().nullish(), permission_policy: PermissionPolicy.nullish() }))
    .max(256)
    .optional(),
});

export const CustomToolParams = z.strictObject({
  type: z.literal('custom'),
  name: z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, 'must be 1 to 128 characters of letters, digits, `_` or `-`'),
  description: z.string().max(10_000),
  input_schema: z.looseObject({
    type: z.literal('object'),
    properties: z.record(z.string(), z.unknown()).nullish(),
    required: z.array(z.string()).nullish(),
  }),
});

export const ToolParams = z.discriminatedUnion('type', [AgentToolsetParams, McpToolsetParams, CustomToolParams]);
export const ToolsParams = z.array(ToolParams).max(256);

export const McpServerParams = z.strictObject({
  type: z.literal('url'),
  name: z.string().min(1).max(255),
  url: z.string().url('must be a valid URL').max(2048),
});
export const McpServersParams = z.array(McpServerParams).max(20);

export const SkillParams = z.strictObject({
  type: z.enum(['anthropic', 'custom']),
  skill_id: z.string().min(1).max(128),
  version: z.string().min(1).max(64).nullish(),
});
export const SkillsParams = z.array(SkillParams).max(20);

const AgentRef = z.union([
  Id,
  z.strictObject({ type: z.literal('agent'), id: Id, version: z.number().int().positive().optional() }),
]);
const PredefinedAgents = z.array(z.union([AgentRef, z.strictObject({ type: z.literal('self') })])).max(20).nullish();
const InlineAgents = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('enabled') }),
  z.strictObject({ type: z.literal('disabled') }),
]).nullish();
const ThreadMember = z
  .discriminatedUnion('type', [
    z.strictObject({ type: z.literal('enabled'), inline_agents: InlineAgents, predefined_agents: PredefinedAgents }),
    z.strictObject({ type: z.literal('disabled') }),
  ])
  .nullish();

export const MultiagentParams = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('coordinator'),
    agents: z
      .array(
        z.union([
          AgentRef,
          z.strictObject({ type: z.literal('self') }),
          z.strictObject({ type: z.literal('advisor'), model: z.string().min(1) }),
        ]),
      )
      .min(1)
      .max(20),
  }),
  z.strictObject({
    type: z.literal('multiagent_20261001'),
    advisor: z
      .discriminatedUnion('type', [
        z.strictObject({ type: z.literal('enabled'), model: z.string().min(1) }),
        z.strictObject({ type: z.literal('disabled') }),
      ])
      .nullish(),
    subagents: ThreadMember,
    workflows: ThreadMember,
  }),
]);

export const ExecutionIdentityParams = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('service_account') }),
  z.strictObject({ type: z.literal('aws_role'), role_arn: z.string().min(1).max(2048) }),
]);

export const AgentCreateParams = z.strictObject({
  name: z.string().min(1).max(256),
  model: ModelParams,
  description: z.string().max(2048).nullish(),
  system: z.string().max(100_000).nullish(),
  tools: ToolsParams.optional(),
  mcp_servers: McpServersParams.optional(),
  skills: SkillsParams.optional(),
  multiagent: MultiagentParams.nullish(),
  metadata: Metadata.optional(),
  execution_identity: ExecutionIdentityParams.nullish(),
});

export const AgentUpdateParams = z.strictObject({
  version: z.number().int().positive().optional(),
  name: z.string().min(1).max(256).optional(),
  model: ModelParams.optional(),
  description: z.string().max(2048).nullish(),
  system: z.string().max(100_000).nullish(),
  tools: ToolsParams.nullish(),
  mcp_servers: McpServersParams.nullish(),
  skills: SkillsParams.nullish(),
  multiagent: MultiagentParams.nullish(),
  metadata: MetadataPatch.nullish(),
  execution_identity: ExecutionIdentityParams.nullish(),
});

export type ModelParamsT = z.output<typeof ModelParams>;
export type PermissionPolicyT = z.output<typeof PermissionPolicy>;
export type ToolParamsT = z.output<typeof ToolParams>;
export type AgentToolsetParamsT = z.output<typeof AgentToolsetParams>;
export type McpToolsetParamsT = z.output<typeof McpToolsetParams>;
export type CustomToolParamsT = z.output<typeof CustomToolParams>;
export type McpServerParamsT = z.output<typeof McpServerParams>;
export type SkillParamsT = z.output<typeof SkillParams>;
export type MultiagentParamsT = z.output<typeof MultiagentParams>;
export type AgentCreateParamsT = z.output<typeof AgentCreateParams>;
export type AgentUpdateParamsT = z.output<typeof AgentUpdateParams>;
