import type Anthropic from '@anthropic-ai/sdk';
import { BadRequestError, ConflictError } from '@anthropic-ai/sdk';
import {
  BetaEnvironmentArchivedError,
  BetaEnvironmentNotFoundError,
  BetaInvalidConfigTypeChangeError,
} from '@anthropic-ai/sdk/resources/beta/environments/environments';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { badField, collect, expectApiError, makeAgent, makeEnvironment, uniqueName } from './support/fixtures.js';
import { CONTROL_PLANE, startServer, type TestServer } from './support/server.js';

let server: TestServer;
let client: Anthropic;

beforeAll(async () => {
  server = await startServer(CONTROL_PLANE);
  client = server.a.client;
});
afterAll(() => server.close());

const emptyPackages = { type: 'packages', apt: [], cargo: [], gem: [], go: [], npm: [], pip: [] };
const notFound = { status: 404, type: 'not_found_error', errorCode: 'environment_not_found' };

describe('POST /v1/environments', () => {
  it('creates a cloud environment with unrestricted networking when config is omitted', async () => {
    const name = uniqueName('env');
    const environment = await client.beta.environments.create({ name });
    expect(environment).toEqual({
      type: 'environment',
      id: environment.id,
      name,
      description: null,
      config: { type: 'cloud', networking: { type: 'unrestricted' }, packages: emptyPackages },
      metadata: {},
      archived_at: null,
      created_at: environment.created_at,
      updated_at: environment.created_at,
    });
    expect(environment.id).toMatch(/^env_/);
  });

  it('stores every config field, description, metadata and scope', async () => {
    const environment = await makeEnvironment(client, {
      description: 'builds',
      metadata: { owner: 'ci' },
      scope: 'organization',
      config: {
        type: 'cloud',
        networking: { type: 'limited', allowed_hosts: ['pypi.org'], allow_package_managers: true },
        packages: { pip: ['pandas==2.0.0'], npm: ['left-pad'] },
      },
    });
    expect(environment).toMatchObject({
      description: 'builds',
      metadata: { owner: 'ci' },
      scope: 'organization',
      config: {
        type: 'cloud',
        networking: { type: 'limited', allowed_hosts: ['pypi.org'], allow_mcp_servers: false, allow_package_managers: true },
        packages: { ...emptyPackages, pip: ['pandas==2.0.0'], npm: ['left-pad'] },
      },
    });
    expect(await client.beta.environments.retrieve(environment.id)).toEqual(environment);
  });

  it('creates a self_hosted environment', async () => {
    const environment = await makeEnvironment(client, { config: { type: 'self_hosted' } });
    expect(environment.config).toEqual({ type: 'self_hosted' });
  });

  it('refuses a duplicate name with a 409 the SDK is told not to retry', async () => {
    const first = await makeEnvironment(client);
    const error = await expectApiError(client.beta.environments.create({ name: first.name }), ConflictError, {
      status: 409,
      type: 'invalid_request_error',
      message: first.name,
    });
    expect(error.headers?.get('x-should-retry')).toBe('false');
  });

  it('refuses packages under limited networking without allow_package_managers, and bad fields', async () => {
    await expectApiError(
      makeEnvironment(client, { config: { type: 'cloud', networking: { type: 'limited' }, packages: { apt: ['curl'] } } }),
      BadRequestError,
      badField('allow_package_managers'),
    );
    await expectApiError(makeEnvironment(client, { name: '' }), BadRequestError, badField('name'));
    await expectApiError(
      makeEnvironment(client, { config: { type: 'cloud', networking: { type: 'wide_open' } } as never }),
      BadRequestError,
      badField('config.networking'),
    );
  });
});

describe('GET /v1/environments/{id}', () => {
  it('answers 404 environment_not_found for an unknown id', async () => {
    await expectApiError(client.beta.environments.retrieve('env_missing'), BetaEnvironmentNotFoundError, notFound);
  });
});

describe('POST /v1/environments/{id}', () => {
  it('changes name and description and patches metadata', async () => {
    const environment = await makeEnvironment(client, { description: 'old', metadata: { a: '1', b: '2' } });
    const name = uniqueName('renamed');
    const updated = await client.beta.environments.update(environment.id, { name, description: null, metadata: { a: null, c: '3' } });
    expect(updated).toMatchObject({ id: environment.id, name, description: null, metadata: { b: '2', c: '3' } });
    expect(await client.beta.environments.retrieve(environment.id)).toEqual(updated);
  });

  it('merges config: omitted sub-fields keep their stored values', async () => {
    const environment = await makeEnvironment(client, {
      config: {
        type: 'cloud',
        networking: { type: 'limited', allowed_hosts: ['a.example'], allow_package_managers: true },
        packages: { apt: ['curl'], pip: ['requests'] },
      },
    });
    const updated = await client.beta.environments.update(environment.id, {
      config: { type: 'cloud', networking: { type: 'limited', allow_mcp_servers: true }, packages: { pip: ['httpx'] } },
    });
    expect(updated.config).toEqual({
      type: 'cloud',
      networking: { type: 'limited', allowed_hosts: ['a.example'], allow_mcp_servers: true, allow_package_managers: true },
      packages: { ...emptyPackages, apt: ['curl'], pip: ['httpx'] },
    });
    const onlyType = await client.beta.environments.update(environment.id, { config: { type: 'cloud' } });
    expect(onlyType.config).toEqual(updated.config);
    const opened = await client.beta.environments.update(environment.id, { config: { type: 'cloud', networking: { type: 'unrestricted' } } });
    expect(opened.config).toEqual({ ...updated.config, networking: { type: 'unrestricted' } });
  });

  it('refuses to change config.type with invalid_config_type_change, both ways', async () => {
    const cloud = await makeEnvironment(client);
    await expectApiError(client.beta.environments.update(cloud.id, { config: { type: 'self_hosted' } }), BetaInvalidConfigTypeChangeError, {
      status: 400,
      type: 'invalid_request_error',
      errorCode: 'invalid_config_type_change',
      message: 'config.type',
    });
    const selfHosted = await makeEnvironment(client, { config: { type: 'self_hosted' } });
    await expectApiError(client.beta.environments.update(selfHosted.id, { config: { type: 'cloud' } }), BetaInvalidConfigTypeChangeError, {
      status: 400,
      type: 'invalid_request_error',
      errorCode: 'invalid_config_type_change',
    });
    expect((await client.beta.environments.retrieve(cloud.id)).config.type).toBe('cloud');
  });

  it('follows the SDK contract for name, description and metadata (omit or null keeps a name, "" is kept, "" deletes a key)', async () => {
    const environment = await makeEnvironment(client, { description: 'old', metadata: { a: '1', b: '2' } });
    const updated = await client.beta.environments.update(environment.id, { name: null, description: '', metadata: { a: '' } });
    expect(updated).toMatchObject({ name: environment.name, description: '', metadata: { b: '2' } });
  });

  it('keeps the config type when config is sent as null', async () => {
    const selfHosted = await makeEnvironment(client, { config: { type: 'self_hosted' } });
    const updated = await client.beta.environments.update(selfHosted.id, { config: null });
    expect(updated.config).toEqual({ type: 'self_hosted' });
  });

  it('refuses a rename onto another environment name with a non-retryable 409', async () => {
    const first = await makeEnvironment(client);
    const second = await makeEnvironment(client);
    const error = await expectApiError(client.beta.environments.update(second.id, { name: first.name }), ConflictError, {
      status: 409,
      type: 'invalid_request_error',
    });
    expect(error.headers?.get('x-should-retry')).toBe('false');
    expect((await client.beta.environments.retrieve(second.id)).name).toBe(second.name);
  });

  it('refuses to update an archived environment with environment_archived', async () => {
    const environment = await makeEnvironment(client);
    await client.beta.environments.archive(environment.id);
    await expectApiError(client.beta.environments.update(environment.id, { description: 'late' }), BetaEnvironmentArchivedError, {
      status: 400,
      type: 'invalid_request_error',
      errorCode: 'environment_archived',
    });
  });

  it('answers 404 for an unknown environment', async () => {
    await expectApiError(client.beta.environments.update('env_missing', { description: 'x' }), BetaEnvironmentNotFoundError, notFound);
  });
});

describe('GET /v1/environments', () => {
  it('walks every environment once with small pages and hides archived ones by default', async () => {
    const own = await startServer(CONTROL_PLANE);
    try {
      const ids: string[] = [];
      for (let i = 0; i < 5; i += 1) ids.push((await makeEnvironment(own.a.client)).id);
      await own.a.client.beta.environments.archive(ids[0]!);
      const visible = await collect(own.a.client.beta.environments.list({ limit: 2 }));
      expect(visible.map((e) => e.id).sort()).toEqual(ids.slice(1).sort());
      const all = await collect(own.a.client.beta.environments.list({ limit: 1, include_archived: true }));
      expect(all.map((e) => e.id).sort()).toEqual([...ids].sort());
      const page = await own.a.client.beta.environments.list({ limit: 4 });
      expect(page.next_page).toBeNull();
    } finally {
      await own.close();
    }
  });
});

describe('POST /v1/environments/{id}/archive', () => {
  it('archives: read-only, refused by new sessions, still readable', async () => {
    const environment = await makeEnvironment(client);
    const archived = await client.beta.environments.archive(environment.id);
    expect(archived.archived_at).not.toBeNull();
    expect(await client.beta.environments.retrieve(environment.id)).toEqual(archived);
    const agent = await makeAgent(client);
    await expectApiError(client.beta.sessions.create({ agent: agent.id, environment_id: environment.id }), BetaEnvironmentArchivedError, {
      status: 400,
      type: 'invalid_request_error',
      errorCode: 'environment_archived',
    });
  });

  it('answers 404 for an unknown environment', async () => {
    await expectApiError(client.beta.environments.archive('env_missing'), BetaEnvironmentNotFoundError, notFound);
  });
});

describe('DELETE /v1/environments/{id}', () => {
  it('deletes for good and answers with environment_deleted', async () => {
    const environment = await makeEnvironment(client);
    expect(await client.beta.environments.delete(environment.id)).toEqual({ id: environment.id, type: 'environment_deleted' });
    await expectApiError(client.beta.environments.retrieve(environment.id), BetaEnvironmentNotFoundError, notFound);
    await expectApiError(client.beta.environments.delete(environment.id), BetaEnvironmentNotFoundError, notFound);
    const listed = await collect(client.beta.environments.list({ include_archived: true }));
    expect(listed.map((e) => e.id)).not.toContain(environment.id);
    // Its name is free again.
    await client.beta.environments.create({ name: environment.name });
  });
});
