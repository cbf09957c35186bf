import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { LonghandError, isoNow, newId, notFound, invalidRequest } from '@longhand/protocol';
import type { Store } from '@longhand/store';
import type { Caller } from '../caller.js';

const KEY = 'api_key';
const WORKSPACE = 'workspace';
/** The workspace every installation has; the admin key acts in it unless told otherwise. */
export const DEFAULT_WORKSPACE_ID = 'wrkspc_default';
const CACHE_MS = 5_000;
const SYSTEM_SCOPE = 'system';

export interface Workspace {
  type: 'workspace';
  id: string;
  name: string;
  created_at: string;
}

/** An API key as stored and listed: never the key itself, only a hash and a recognisable prefix. */
export interface ApiKeyRecord {
  type: 'api_key';
  id: string;
  workspace_id: string;
  name: string;
  /** The first characters of the key, to tell keys apart in listings. */
  prefix: string;
  created_at: string;
  revoked_at: string | null;
}

function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

function generateKey(): string {
  const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  let body = '';
  for (const byte of randomBytes(40)) body += alphabet[byte % 62];
  return `lh_sk_${body}`;
}

function sameSecret(a: string, b: string): boolean {
  const left = createHash('sha256').update(a).digest();
  const right = createHash('sha256').update(b).digest();
  return timingSafeEqual(left, right);
}

/**
 * Workspaces and API keys. Keys are random, shown once, and stored as SHA-256 hashes (a key has
 * enough entropy that a slow hash adds nothing). Every resource belongs to one workspace.
 */
export class Auth {
  private readonly cache = new Map<string, { caller: Caller; until: number }>();

  constructor(
    private readonly store: Store,
    private readonly adminKey: string | undefined,
  ) {}

  /** Creates the default workspace when the database is new. */
  async ensureDefaultWorkspace(): Promise<void> {
    if (await this.store.documents.get(WORKSPACE, DEFAULT_WORKSPACE_ID)) return;
    try {
      await this.insertWorkspace(DEFAULT_WORKSPACE_ID, 'default');
    } catch (error) {
      // Another process created it first.
      if (!(await this.store.documents.get(WORKSPACE, DEFAULT_WORKSPACE_ID))) throw error;
    }
  }

  async createWorkspace(name: string): Promise<Workspace> {
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name)) throw invalidRequest('workspace names are 1 to 64 letters, digits, `_`, `.` or `-`');
    return this.insertWorkspace(newId('workspace'), name);
  }

  private async insertWorkspace(id: string, name: string): Promise<Workspace> {
    const now = isoNow();
    const workspace: Workspace = { type: 'workspace', id, name, created_at: now };
    // Workspaces live in a system scope of their own, where their names are unique.
    await this.store.documents.insert({ kind: WORKSPACE, id, workspaceId: SYSTEM_SCOPE, parentId: null, ord: 0, name, createdAt: now, archivedAt: null, body: workspace });
    return workspace;
  }

  /** Finds a workspace by id or by name. */
  async findWorkspace(idOrName: string): Promise<Workspace | undefined> {
    const row =
      (await this.store.documents.get<Workspace>(WORKSPACE, idOrName)) ??
      (await this.store.documents.getByName<Workspace>(WORKSPACE, SYSTEM_SCOPE, idOrName));
    return row?.body;
  }

  async listWorkspaces(): Promise<Workspace[]> {
    const rows = await this.store.documents.list<Workspace>(WORKSPACE, { workspaceId: SYSTEM_SCOPE, limit: 10_000, order: 'asc' });
    return rows.map((row) => row.body);
  }

  /** Makes a key for a workspace; the returned `key` is the only time the secret is shown. */
  async createKey(options: { workspace?: string; name?: string } = {}): Promise<{ key: string; record: ApiKeyRecord }> {
    const workspace = options.workspace ? await this.findWorkspace(options.workspace) : await this.findWorkspace(DEFAULT_WORKSPACE_ID);
    if (!workspace) throw notFound('workspace', options.workspace ?? DEFAULT_WORKSPACE_ID);
    const key = generateKey();
    const now = isoNow();
    const record: ApiKeyRecord = {
      type: 'api_key',
      id: newId('apiKey'),
      workspace_id: workspace.id,
      name: options.name ?? 'key',
      prefix: key.slice(0, 12),
      created_at: now,
      revoked_at: null,
    };
    await this.store.documents.insert({ kind: KEY, id: record.id, workspaceId: workspace.id, parentId: null, ord: 0, name: hashKey(key), createdAt: now, archivedAt: null, body: record });
    return { key, record };
  }

  async listKeys(workspace?: string): Promise<ApiKeyRecord[]> {
    const target = workspace ? await this.findWorkspace(workspace) : undefined;
    if (workspace && !target) throw notFound('workspace', workspace);
    const workspaces = target ? [target] : await this.listWorkspaces();
    const out: ApiKeyRecord[] = [];
    for (const ws of workspaces) {
      const rows = await this.store.documents.list<ApiKeyRecord>(KEY, { workspaceId: ws.id, includeArchived: true, limit: 1000, order: 'asc' });
      out.push(...rows.map((row) => row.body));
    }
    return out;
  }

  async revokeKey(id: string): Promise<ApiKeyRecord> {
    const row = await this.store.documents.get<ApiKeyRecord>(KEY, id);
    if (!row) throw notFound('api key', id);
    const now = isoNow();
    const record = { ...row.body, revoked_at: row.body.revoked_at ?? now };
    await this.store.documents.update(KEY, id, { body: record, archivedAt: record.revoked_at });
    this.cache.clear();
    return record;
  }

  /** True when no key exists yet (a fresh installation). */
  async hasNoKeys(): Promise<boolean> {
    return (await this.listKeys()).length === 0;
  }

  /**
   * Resolves a presented key to a caller, or throws 401. The admin key may act in any workspace
   * named by `requestedWorkspace`; any other key only in its own.
   */
  async authenticate(key: string | undefined, requestedWorkspace?: string): Promise<Caller> {
    if (!key) {
      throw new LonghandError('authentication_failed', 'missing API key: send it as `x-api-key: <key>` or `Authorization: Bearer <key>`');
    }
    if (this.adminKey && sameSecret(key, this.adminKey)) {
      if (!requestedWorkspace) return { workspaceId: DEFAULT_WORKSPACE_ID, keyId: null, admin: true };
      const workspace = await this.findWorkspace(requestedWorkspace);
      if (!workspace) throw notFound('workspace', requestedWorkspace);
      return { workspaceId: workspace.id, keyId: null, admin: true };
    }
    const hash = hashKey(key);
    const cached = this.cache.get(hash);
    let caller = cached && cached.until > Date.now() ? cached.caller : undefined;
    if (!caller) {
      const row = await this.store.documents.findByNameAnywhere<ApiKeyRecord>(KEY, hash);
      if (!row || row.body.revoked_at) throw new LonghandError('authentication_failed', 'invalid API key');
      caller = { workspaceId: row.body.workspace_id, keyId: row.body.id, admin: false };
      this.cache.set(hash, { caller, until: Date.now() + CACHE_MS });
    }
    if (requestedWorkspace && requestedWorkspace !== caller.workspaceId) {
      throw new LonghandError('permission_denied', `this API key belongs to workspace ${caller.workspaceId}, not ${requestedWorkspace}`);
    }
    return caller;
  }
}
