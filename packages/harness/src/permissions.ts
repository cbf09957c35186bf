import type { AgentTool, EvaluatedPermission, PermissionPolicy, ToolEvaluation } from '@longhand/protocol';

export type ToolKind = 'builtin' | 'custom' | 'unknown';

export interface PermissionDecision {
  kind: ToolKind;
  permission?: EvaluatedPermission;
  evaluation?: ToolEvaluation;
}

const READ_ONLY = new Set(['read', 'glob', 'grep']);

function builtinPolicy(tools: readonly AgentTool[], name: string): PermissionPolicy | undefined {
  const toolset = tools.find((tool) => tool.type === 'agent_toolset_20260401');
  if (!toolset || toolset.type !== 'agent_toolset_20260401') return undefined;
  const config = toolset.configs.find((c) => c.name === name);
  const enabled = config ? config.enabled : toolset.default_config.enabled;
  if (!enabled) return undefined;
  return config ? config.permission_policy : toolset.default_config.permission_policy;
}

/** Names of the built-in tools the model is offered. */
export function enabledBuiltins(tools: readonly AgentTool[], known: readonly string[]): string[] {
  return known.filter((name) => builtinPolicy(tools, name) !== undefined);
}

/**
 * Decides what happens to a call the model made (spec 5.5). Custom tools carry no policy.
 * A built-in tool that is not enabled, or a name nobody declared, is denied with no evaluation.
 * `auto` is judged conservatively: tools that only read run; anything that changes state or
 * reaches the network asks (`indeterminate`).
 */
export function decide(tools: readonly AgentTool[], name: string, builtinNames: readonly string[]): PermissionDecision {
  if (tools.some((tool) => tool.type === 'custom' && tool.name === name)) return { kind: 'custom' };
  if (!builtinNames.includes(name)) return { kind: 'unknown', permission: 'deny' };
  const policy = builtinPolicy(tools, name);
  if (!policy) return { kind: 'builtin', permission: 'deny' };
  switch (policy.type) {
    case 'always_allow':
      return { kind: 'builtin', permission: 'allow', evaluation: { type: 'always_allow' } };
    case 'always_ask':
      return { kind: 'builtin', permission: 'ask', evaluation: { type: 'always_ask' } };
    case 'auto':
      return READ_ONLY.has(name)
        ? { kind: 'builtin', permission: 'allow', evaluation: { type: 'auto', evaluated_permission: { type: 'allow' } } }
        : { kind: 'builtin', permission: 'ask', evaluation: { type: 'auto', evaluated_permission: { type: 'ask', reason_code: 'indeterminate' } } };
  }
}
