import type { UrlSourceMode } from '@longhand/protocol';
import {
  BUILTIN_TOOL_NAMES,
  invalidRequest,
  type AgentTool,
  type BuiltinToolConfig,
  type McpServer,
  type McpServerParamsT,
  type PermissionPolicy,
  type Skill,
  type SkillParamsT,
  type ToolParamsT,
} from '@longhand/protocol';

type ToolsetParams = Extract<ToolParamsT, { type: 'agent_toolset_20260401' }>;
type ConfigParams = NonNullable<ToolsetParams['configs']>[number];

const WEB_FETCH_ONLY = ['max_content_tokens', 'url_sources'] as const;
const WEB_ONLY = ['allowed_domains', 'blocked_domains'] as const;

function urlSourceMode(value: unknown): UrlSourceMode | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return { type: value as 'all' | 'none' };
  return value as UrlSourceMode;
}

function normalizeConfig(config: ConfigParams, index: number, enabled: boolean, policy: PermissionPolicy): BuiltinToolConfig {
  const where = `tools[].configs[${index}]`;
  if (config.type !== undefined && config.type !== config.name) {
    throw invalidRequest(`${where}.type must equal its name ('${config.name}')`);
  }
  const isFetch = config.name === 'web_fetch';
  const isWeb = isFetch || config.name === 'web_search';
  for (const key of WEB_FETCH_ONLY) {
    if (!isFetch && config[key] !== undefined) throw invalidRequest(`${where}.${key} is only allowed for web_fetch`);
  }
  for (const key of WEB_ONLY) {
    if (!isWeb && config[key] !== undefined) throw invalidRequest(`${where}.${key} is only allowed for web_fetch and web_search`);
  }
  if (config.name !== 'web_search' && config.user_location !== undefined) {
    throw invalidRequest(`${where}.user_location is only allowed for web_search`);
  }
  if (config.allowed_domains !== undefined && config.blocked_domains !== undefined) {
    throw invalidRequest(`${where}: allowed_domains and blocked_domains cannot both be set`);
  }
  const out: BuiltinToolConfig = {
    type: config.name,
    name: config.name,
    enabled: config.enabled ?? enabled,
    permission_policy: config.permission_policy ?? policy,
  };
  if (isFetch) {
    const sources = config.url_sources;
    const normalized = sources
      ? {
          client_tool_results: urlSourceMode(sources.client_tool_results),
          server_tool_results: urlSourceMode(sources.server_tool_results),
          user_input: urlSourceMode(sources.user_input) as { type: 'all' | 'none' } | null,
        }
      : null;
    if (normalized) {
      const modes = [normalized.client_tool_results, normalized.server_tool_results, normalized.user_input];
      if (modes.every((mode) => mode?.type === 'none')) throw invalidRequest(`${where}.url_sources cannot set every source to none`);
      for (const mode of [normalized.client_tool_results, normalized.server_tool_results]) {
        if (mode && 'tools' in mode) {
          const names = mode.tools.map((t) => t.name);
          if (new Set(names).size !== names.length) throw invalidRequest(`${where}.url_sources tool references must be unique`);
        }
      }
      const server = normalized.server_tool_results;
      if (server && 'tools' in server && server.tools.some((t) => t.name !== 'web_search' && t.name !== 'web_fetch')) {
        throw invalidRequest(`${where}.url_sources.server_tool_results may only reference web_search and web_fetch`);
      }
    }
    out.url_sources = normalized;
    out.max_content_tokens = config.max_content_tokens ?? null;
  }
  if (config.allowed_domains !== undefined) out.allowed_domains = config.allowed_domains;
  if (config.blocked_domains !== undefined) out.blocked_domains = config.blocked_domains;
  if (config.name === 'web_search') out.user_location = config.user_location ?? null;
  return out;
}

/**
 * Resolves tool params into the stored form: every default applied (agent toolset: enabled,
 * `always_allow`; MCP toolset: enabled, `always_ask`), supplied configs echoed in their order.
 * Rejects what the spec forbids: two agent toolsets, repeated names, a toolset for an MCP server
 * that is not declared, a declared server no toolset uses, skills without the read tool.
 */
export function normalizeTools(
  tools: readonly ToolParamsT[],
  mcpServers: readonly McpServerParamsT[],
  skills: readonly SkillParamsT[] | readonly Skill[],
): { tools: AgentTool[]; mcp_servers: McpServer[] } {
  const serverNames = new Set<string>();
  for (const [index, server] of mcpServers.entries()) {
    if (serverNames.has(server.name)) throw invalidRequest(`mcp_servers[${index}].name "${server.name}" is used twice`);
    serverNames.add(server.name);
  }
  const out: AgentTool[] = [];
  const toolNames = new Set<string>();
  const usedServers = new Set<string>();
  let toolsets = 0;
  for (const [index, tool] of tools.entries()) {
    if (tool.type === 'agent_toolset_20260401') {
      toolsets += 1;
      if (toolsets > 1) throw invalidRequest(`tools[${index}]: only one agent_toolset_20260401 is allowed`);
      const enabled = tool.default_config?.enabled ?? true;
      const policy = tool.default_config?.permission_policy ?? { type: 'always_allow' };
      const seen = new Set<string>();
      const configs = (tool.configs ?? []).map((config, i) => {
        if (seen.has(config.name)) throw invalidRequest(`tools[${index}].configs[${i}]: the ${config.name} tool is configured twice`);
        seen.add(config.name);
        return normalizeConfig(config, i, enabled, policy);
      });
      for (const name of BUILTIN_TOOL_NAMES) toolNames.add(name);
      out.push({ type: 'agent_toolset_20260401', default_config: { enabled, permission_policy: policy }, configs });
    } else if (tool.type === 'mcp_toolset') {
      if (!serverNames.has(tool.mcp_server_name)) {
        throw invalidRequest(`tools[${index}].mcp_server_name "${tool.mcp_server_name}" does not name any entry of mcp_servers`);
      }
      if (usedServers.has(tool.mcp_server_name)) throw invalidRequest(`tools[${index}]: mcp server "${tool.mcp_server_name}" has two toolsets`);
      usedServers.add(tool.mcp_server_name);
      const enabled = tool.default_config?.enabled ?? true;
      const policy = tool.default_config?.permission_policy ?? { type: 'always_ask' };
      const seen = new Set<string>();
      const configs = (tool.configs ?? []).map((config, i) => {
        if (seen.has(config.name)) throw invalidRequest(`tools[${index}].configs[${i}]: the ${config.name} tool is configured twice`);
        seen.add(config.name);
        return { name: config.name, enabled: config.enabled ?? enabled, permission_policy: config.permission_policy ?? policy };
      });
      out.push({ type: 'mcp_toolset', mcp_server_name: tool.mcp_server_name, default_config: { enabled, permission_policy: policy }, configs });
    } else {
      if (toolNames.has(tool.name)) throw invalidRequest(`tools[${index}].name "${tool.name}" is already the name of another tool`);
      toolNames.add(tool.name);
      out.push({ type: 'custom', name: tool.name, description: tool.description, input_schema: tool.input_schema });
    }
  }
  for (const name of serverNames) {
    if (!usedServers.has(name)) throw invalidRequest(`mcp_servers: "${name}" is not used by any mcp_toolset in tools`);
  }
  if (skills.length > 0 && !isToolEnabled(out, 'read')) {
    throw invalidRequest('skills require the read tool: add an agent_toolset_20260401 with read enabled');
  }
  return { tools: out, mcp_servers: mcpServers.map((server) => ({ type: 'url', name: server.name, url: server.url })) };
}

/** Whether the built-in tool `name` is offered to the model under these tools. */
export function isToolEnabled(tools: readonly AgentTool[], name: string): boolean {
  const toolset = tools.find((tool) => tool.type === 'agent_toolset_20260401');
  if (!toolset || toolset.type !== 'agent_toolset_20260401') return false;
  const config = toolset.configs.find((c) => c.name === name);
  return config ? config.enabled : toolset.default_config.enabled;
}

/** Skills as stored: `version` is always a string, `latest` when omitted. */
export function normalizeSkills(skills: readonly SkillParamsT[]): Skill[] {
  const seen = new Set<string>();
  return skills.map((skill, index) => {
    const key = `${skill.type}:${skill.skill_id}`;
    if (seen.has(key)) throw invalidRequest(`skills[${index}]: skill "${skill.skill_id}" is listed twice`);
    seen.add(key);
    return { type: skill.type, skill_id: skill.skill_id, version: skill.version ?? 'latest' };
  });
}
