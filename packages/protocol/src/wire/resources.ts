import type { BuiltinToolName } from '../schema/agent.js';
import type { ToolResultContentBlockT } from '../schema/common.js';

export type Metadata = Record<string, string>;
export interface Money { amount: string; currency: 'USD' }
export interface BudgetLimit { type: 'limit'; max_list_cost: Money }

export type PermissionPolicy = { type: 'always_allow' } | { type: 'always_ask' } | { type: 'auto' };

export interface ModelConfig {
  id: string;
  effort?: { type: 'low' | 'medium' | 'high' | 'xhigh' | 'max' };
  inference_geo?: string;
  speed?: 'standard' | 'fast';
}

export type UrlSourceMode =
  | { type: 'all' | 'none' }
  | { type: 'only' | 'except'; tools: Array<{ type: 'tool_reference'; name: string }> };

export interface BuiltinToolConfig {
  type: BuiltinToolName;
  name: BuiltinToolName;
  enabled: boolean;
  permission_policy: PermissionPolicy;
  url_sources?: { client_tool_results: UrlSourceMode | null; server_tool_results: UrlSourceMode | null; user_input: { type: 'all' | 'none' } | null } | null;
  allowed_domains?: string[];
  blocked_domains?: string[];
  max_content_tokens?: number | null;
  user_location?: { type: 'approximate'; city?: string | null; country?: string | null; region?: string | null; timezone?: string | null } | null;
}

export interface AgentToolset {
  type: 'agent_toolset_20260401';
  default_config: { enabled: boolean; permission_policy: PermissionPolicy };
  configs: BuiltinToolConfig[];
}

export interface McpToolset {
  type: 'mcp_toolset';
  mcp_server_name: string;
  default_config: { enabled: boolean; permission_policy: PermissionPolicy };
  configs: Array<{ name: string; enabled: boolean; permission_policy: PermissionPolicy }>;
}

export interface CustomTool {
  type: 'custom';
  name: string;
  description: string;
  input_schema: { type: 'object'; properties?: Record<string, unknown> | null; required?: string[] | null; [k: string]: unknown };
}

export type AgentTool = AgentToolset | McpToolset | CustomTool;
export interface McpServer { type: 'url'; name: string; url: string }
export interface Skill { type: 'anthropic' | 'custom'; skill_id: string; version: string }
export type ExecutionIdentity = { type: 'service_account' } | { type: 'aws_role'; role_arn: string };
export interface AgentReference { type: 'agent'; id: string; version: number }

export type Multiagent =
  | { type: 'coordinator'; agents: Array<AgentReference | { type: 'advisor'; model: string }> }
  | {
      type: 'multiagent_20261001';
      advisor: { type: 'enabled'; model: string } | { type: 'disabled' };
      subagents: MultiagentMember;
      workflows: MultiagentMember;
    };
export type MultiagentMember =
  | { type: 'enabled'; inline_agents: { type: 'enabled' } | { type: 'disabled' }; predefined_agents: AgentReference[] }
  | { type: 'disabled' };

/** `BetaManagedAgentsAgent`. */
export interface Agent {
  type: 'agent';
  id: string;
  version: number;
  name: string;
  description: string | null;
  system: string | null;
  model: ModelConfig;
  tools: AgentTool[];
  mcp_servers: McpServer[];
  skills: Skill[];
  multiagent: Multiagent | null;
  execution_identity: ExecutionIdentity;
  metadata: Metadata;
  archived_at: string | null;
  created_at: string;
  updated_at: string;
}

export type Networking =
  | { type: 'unrestricted' }
  | { type: 'limited'; allowed_hosts: string[]; allow_mcp_servers: boolean; allow_package_managers: boolean };
export interface Packages { type: 'packages'; apt: string[]; cargo: string[]; gem: string[]; go: string[]; npm: string[]; pip: string[] }
export type EnvironmentConfig = { type: 'cloud'; networking: Networking; packages: Packages } | { type: 'self_hosted' };

/** `BetaEnvironment`. */
export interface Environment {
  type: 'environment';
  id: string;
  name: string;
  description: string | null;
  config: EnvironmentConfig;
  metadata: Metadata;
  scope?: 'organization' | 'account';
  archived_at: string | null;
  created_at: string;
  updated_at: string;
}

/** The agent as it applies to one session (`BetaManagedAgentsSessionAgent`). */
export interface SessionAgent {
  type: 'agent';
  id: string;
  version: number;
  name: string;
  description: string | null;
  system: string | null;
  model: ModelConfig;
  tools: AgentTool[];
  mcp_servers: McpServer[];
  skills: Skill[];
  execution_identity: ExecutionIdentity;
  multiagent: Multiagent | null;
}

export type SessionResource =
  | { type: 'file'; id: string; file_id: string; mount_path: string; created_at: string; updated_at: string }
  | {
      type: 'github_repository';
      id: string;
      url: string;
      mount_path: string;
      checkout?: { type: 'branch'; name: string } | { type: 'commit'; sha: string } | null;
      created_at: string;
      updated_at: string;
    }
  | {
      type: 'memory_store';
      memory_store_id: string;
      access?: 'read_write' | 'read_only' | null;
      instructions?: string | null;
      name?: string | null;
      description?: string;
      mount_path?: string | null;
    };

export interface SessionUsage {
  input_tokens?: number;
  output_tokens?: number;
  cache_read_input_tokens?: number;
  cache_creation?: { ephemeral_5m_input_tokens?: number; ephemeral_1h_input_tokens?: number };
  active_seconds?: number;
  list_cost?: Money | null;
  server_tool_use?: { web_search_requests?: number; web_fetch_requests?: number } | null;
}

export type SessionStatus = 'idle' | 'running' | 'rescheduling' | 'terminated';

export interface OutcomeEvaluation {
  type: 'outcome_evaluation';
  outcome_id: string;
  description: string;
  iteration: number;
  result: string;
  explanation: string | null;
  completed_at: string | null;
}

/** `BetaManagedAgentsSession`. */
export interface Session {
  type: 'session';
  id: string;
  title: string | null;
  status: SessionStatus;
  environment_id: string;
  agent: SessionAgent;
  resources: SessionResource[];
  vault_ids: string[];
  metadata: Metadata;
  usage: SessionUsage;
  stats: { active_seconds?: number; duration_seconds?: number };
  outcome_evaluations: OutcomeEvaluation[];
  budget: BudgetLimit | null;
  deployment_id?: string | null;
  /** Longhand extension: present on a session forked from another (docs/api-extensions.md). */
  forked_from?: { session_id: string; checkpoint_id: string; seq: number };
  archived_at: string | null;
  created_at: string;
  updated_at: string;
}

/** A checkpoint of a session: its workspace and its position in the log, frozen together (Longhand extension). */
export interface Checkpoint {
  type: 'checkpoint';
  id: string;
  session_id: string;
  /** The last event the checkpoint includes. */
  seq: number;
  event_id: string | null;
  /**
   * `turn_end` (taken automatically when a turn ends), `manual` (on request), `fork` (the first
   * checkpoint of a fork) or `restore` (the state a restore rolled back to).
   */
  trigger: 'turn_end' | 'manual' | 'fork' | 'restore';
  /** Bytes the workspace takes at this checkpoint (all its layers). */
  size_bytes: number;
  /** Bytes this checkpoint added to storage. */
  added_bytes: number;
  created_at: string;
}

/** `BetaFileMetadata`. */
export interface FileMetadata {
  type: 'file';
  id: string;
  filename: string;
  mime_type: string;
  size_bytes: number;
  created_at: string;
  downloadable?: boolean;
  expires_at?: string | null;
  scope?: { type: 'session'; id: string } | null;
}

export type { ToolResultContentBlockT as ToolResultContent };

/** `{ data, next_page }`: every cursor-paged list. */
export interface CursorPage<T> { data: T[]; next_page: string | null }
/** `{ data, next_page, prev_page }`: the session list. */
export interface BidirectionalPage<T> { data: T[]; next_page: string | null; prev_page: string | null }
