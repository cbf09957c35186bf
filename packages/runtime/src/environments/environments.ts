import {
  isoNow,
  LonghandError,
  newId,
  invalidRequest,
  type CursorPage,
  type Environment,
  type EnvironmentConfig,
  type EnvironmentConfigParamsT,
  type EnvironmentCreateParamsT,
  type EnvironmentUpdateParamsT,
  type Networking,
  type NetworkingParamsT,
  type Packages,
  type PackagesParamsT,
} from '@longhand/protocol';
import type { Store } from '@longhand/store';
import { patchMetadata } from '../agents/agents.js';
import type { Caller } from '../caller.js';
import { pageDocuments, type DocumentPageQuery } from '../paging.js';
import { PACKAGE_MANAGERS as MANAGERS, packageSpecifierProblem } from './package-specifiers.js';

const KIND = 'environment';

function networking(params: NetworkingParamsT | null | undefined, stored?: Networking): Networking {
  if (params === undefined) return stored ?? { type: 'unrestricted' };
  if (params === null || params.type === 'unrestricted') return { type: 'unrestricted' };
  const base = stored?.type === 'limited' ? stored : undefined;
  return {
    type: 'limited',
    allowed_hosts: params.allowed_hosts === undefined ? (base?.allowed_hosts ?? []) : (params.allowed_hosts ?? []),
    allow_mcp_servers:
      params.allow_mcp_servers === undefined ? (base?.allow_mcp_servers ?? false) : (params.allow_mcp_servers ?? false),
    allow_package_managers:
      params.allow_package_managers === undefined
        ? (base?.allow_package_managers ?? false)
        : (params.allow_package_managers ?? false),
  };
}

function packages(params: PackagesParamsT | null | undefined, stored?: Packages): Packages {
  const out: Packages = { type: 'packages', apt: [], cargo: [], gem: [], go: [], npm: [], pip: [] };
  for (const manager of MANAGERS) {
    const value = params?.[manager];
    // Only what the request sends is checked: lists stored before these rules keep loading.
    value?.forEach((name, index) => {
      const problem = packageSpecifierProblem(manager, name);
      if (problem) throw invalidRequest(`config.packages.${manager}[${index}] ${JSON.stringify(name)} ${problem}`);
    });
    out[manager] = value === undefined && params !== null ? (stored?.[manager] ?? []) : (value ?? []);
  }
  return out;
}

function hasPackages(value: Packages): boolean {
  return MANAGERS.some((manager) => value[manager].length > 0);
}

/** Resolves config params into the stored form, merging into `stored` on update (spec 3.2). */
export function resolveConfig(params: EnvironmentConfigParamsT | null | undefined, stored?: EnvironmentConfig): EnvironmentConfig {
  // Omitted or null, the stored config stays: null must not turn a self_hosted environment into cloud.
  if ((params === undefined || params === null) && stored) return stored;
  if (stored && params && params.type !== stored.type) {
    throw new LonghandError(
      'invalid_config_type_change',
      `config.type cannot change from ${stored.type} to ${params.type}; create a new environment instead`,
    );
  }
  if (params?.type === 'self_hosted') return { type: 'self_hosted' };
  const base = stored?.type === 'cloud' ? stored : undefined;
  const cloud = params?.type === 'cloud' ? params : undefined;
  const config: EnvironmentConfig = {
    type: 'cloud',
    networking: networking(cloud ? cloud.networking : undefined, base?.networking),
    packages: packages(cloud ? cloud.packages : undefined, base?.packages),
  };
  if (config.networking.type === 'limited' && !config.networking.allow_package_managers && hasPackages(config.packages)) {
    throw invalidRequest('config.packages under limited networking needs config.networking.allow_package_managers: true');
  }
  return config;
}

/** A metadata patch in which "" deletes a key, as null does (the SDK's contract for environments). */
function emptyDeletes(patch: Record<string, string | null> | null | undefined): Record<string, string | null> | null | undefined {
  if (!patch) return patch;
  return Object.fromEntries(Object.entries(patch).map(([key, value]) => [key, value === '' ? null : value]));
}

/** Environments: where a session's hands run and with what network and packages (spec 2.2, 3.2). */
export class Environments {
  constructor(private readonly store: Store) {}

  async create(caller: Caller, params: EnvironmentCreateParamsT): Promise<Environment> {
    const now = isoNow();
    const environment: Environment = {
      type: 'environment',
      id: newId('environment'),
      name: params.name,
      description: params.description ?? null,
      config: resolveConfig(params.config),
      metadata: params.metadata ?? {},
      ...(params.scope ? { scope: params.scope } : {}),
      archived_at: null,
      created_at: now,
      updated_at: now,
    };
    await this.store.documents.insert<Environment>({
      kind: KIND,
      id: environment.id,
      workspaceId: caller.workspaceId,
      parentId: null,
      ord: 0,
      name: environment.name,
      createdAt: now,
      archivedAt: null,
      body: environment,
    });
    return environment;
  }

  async find(caller: Caller, id: string): Promise<Environment | undefined> {
    const row = await this.store.documents.get<Environment>(KIND, id);
    return row && row.workspaceId === caller.workspaceId ? row.body : undefined;
  }

  async retrieve(caller: Caller, id: string): Promise<Environment> {
    const environment = await this.find(caller, id);
    if (!environment) throw new LonghandError('environment_not_found', `environment not found: ${id}`);
    return environment;
  }

  async update(caller: Caller, id: string, params: EnvironmentUpdateParamsT): Promise<Environment> {
    const current = await this.retrieve(caller, id);
    if (current.archived_at) throw new LonghandError('environment_archived', `environment ${id} is archived and read-only`);
    const next: Environment = {
      ...current,
      name: params.name ?? current.name,
      // The SDK's contract for environments: null clears, "" is stored as "", and a metadata
      // value of "" deletes its key like null does.
      description: params.description === undefined ? current.description : params.description,
      config: resolveConfig(params.config, current.config),
      metadata: patchMetadata(current.metadata, emptyDeletes(params.metadata)),
      updated_at: isoNow(),
    };
    if (params.scope !== undefined) {
      if (params.scope === null) delete next.scope;
      else next.scope = params.scope;
    }
    await this.store.documents.update<Environment>(KIND, id, { body: next, name: next.name });
    return next;
  }

  async list(caller: Caller, query: DocumentPageQuery): Promise<CursorPage<Environment>> {
    return pageDocuments<Environment, Environment>(this.store.documents, KIND, { workspaceId: caller.workspaceId }, query, (r) => r.body);
  }

  async archive(caller: Caller, id: string): Promise<Environment> {
    const current = await this.retrieve(caller, id);
    if (current.archived_at) return current;
    const now = isoNow();
    const archived: Environment = { ...current, archived_at: now, updated_at: now };
    await this.store.documents.update<Environment>(KIND, id, { body: archived, archivedAt: now });
    return archived;
  }

  async delete(caller: Caller, id: string): Promise<{ id: string; type: 'environment_deleted' }> {
    await this.retrieve(caller, id);
    await this.store.documents.delete(KIND, id);
    return { id, type: 'environment_deleted' };
  }
}
