import { randomBytes } from 'node:crypto';
import type Anthropic from '@anthropic-ai/sdk';
import { APIError } from '@anthropic-ai/sdk';
import type { EventBody } from '@longhand/protocol';
import type { Runtime } from '@longhand/runtime';
import { expect } from 'vitest';

type Agent = Anthropic.Beta.Agents.BetaManagedAgentsAgent;
type Environment = Anthropic.Beta.Environments.BetaEnvironment;
type Session = Anthropic.Beta.Sessions.BetaManagedAgentsSession;
type AgentParams = Anthropic.Beta.Agents.AgentCreateParams;
type SessionParams = Anthropic.Beta.Sessions.SessionCreateParams;

/** A name no other test uses, for resources whose names must be unique. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

/** Creates an agent with a minimal valid body, overridden by `params`. */
export function makeAgent(client: Anthropic, params: Partial<AgentParams> = {}): Promise<Agent> {
  return client.beta.agents.create({ name: uniqueName('agent'), model: 'claude-sonnet-4-6', ...params });
}

/** Creates a cloud environment with a unique name. */
export function makeEnvironment(client: Anthropic, params: Partial<Anthropic.Beta.Environments.EnvironmentCreateParams> = {}): Promise<Environment> {
  return client.beta.environments.create({ name: uniqueName('env'), ...params });
}

/** Creates an agent, an environment and a session using both. */
export async function makeSession(
  client: Anthropic,
  params: Partial<SessionParams> = {},
): Promise<{ agent: Agent; environment: Environment; session: Session }> {
  const agent = await makeAgent(client);
  const environment = await makeEnvironment(client);
  const session = await client.beta.sessions.create({ agent: agent.id, environment_id: environment.id, ...params });
  return { agent, environment, session };
}

/**
 * Appends events to a session's log directly, as the harness would (there is no harness in these
 * tests). Returns the ids the store gave them.
 */
export async function appendAsHarness(runtime: Runtime, sessionId: string, bodies: EventBody[]): Promise<string[]> {
  const stored = await runtime.store.events.append(sessionId, bodies.map((body) => ({ body })));
  return stored.map((row) => row.event.id);
}

/** Simulates the harness asking for confirmation of a `bash` call; returns the tool-use event id. */
export async function askForBash(runtime: Runtime, sessionId: string): Promise<string> {
  const [id] = await appendAsHarness(runtime, sessionId, [
    { type: 'agent.tool_use', name: 'bash', input: {}, evaluated_permission: 'ask', evaluation: { type: 'always_ask' } },
  ]);
  return id!;
}

/** Simulates the harness calling a custom tool; returns the tool-use event id. */
export async function callCustomTool(runtime: Runtime, sessionId: string, name = 'get_weather'): Promise<string> {
  const [id] = await appendAsHarness(runtime, sessionId, [{ type: 'agent.custom_tool_use', name, input: { city: 'Paris' } }]);
  return id!;
}

/** Puts a session in `running`, as the harness does when a turn starts. */
export async function markRunning(runtime: Runtime, sessionId: string): Promise<void> {
  await appendAsHarness(runtime, sessionId, [{ type: 'session.status_running' }]);
}

/** Every item of an auto-paginated SDK list. */
export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/** What an expected API error must look like. */
export interface ExpectedError {
  status: number;
  type: string;
  /** Text the error message must contain, such as the path of the offending field. */
  message?: string | RegExp;
  errorCode?: string;
}

/**
 * Awaits `promise`, which must fail with an SDK error of class `kind` whose envelope is exactly
 * the wire contract's: `error.type`, a `req_` request id in both the body and the `request-id`
 * header. Returns the error for further checks.
 */
export async function expectApiError(
  promise: Promise<unknown>,
  kind: abstract new (...args: never[]) => APIError,
  expected: ExpectedError,
): Promise<APIError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  expect(caught, 'the request should have failed').toBeInstanceOf(kind);
  const error = caught as APIError;
  expect(error.status).toBe(expected.status);
  expect(error.type).toBe(expected.type);
  expect(error.requestID).toMatch(/^req_/);
  expect(error.headers?.get('request-id')).toBe(error.requestID);
  const body = error.error as { type?: string; request_id?: string; error?: { message?: string } };
  expect(body.type).toBe('error');
  expect(body.request_id).toBe(error.requestID);
  if (expected.message !== undefined) {
    if (typeof expected.message === 'string') expect(error.apiMessage).toContain(expected.message);
    else expect(error.apiMessage).toMatch(expected.message);
  }
  if (expected.errorCode !== undefined) expect(error.errorCode).toBe(expected.errorCode);
  return error;
}

/** A 400 `invalid_request_error` whose message names `field`. */
export const badField = (field: string): ExpectedError => ({ status: 400, type: 'invalid_request_error', message: field });
