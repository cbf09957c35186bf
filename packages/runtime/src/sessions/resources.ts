import { invalidRequest, isoNow, newId, notFound, type Environment, type SessionResource, type SessionResourceParamsT } from '@longhand/protocol';
import type { Store } from '@longhand/store';
import type { Caller } from '../caller.js';
import type { Files } from '../files/files.js';

/** Kind of the document holding write-only secrets of a session (repository tokens). */
export const SESSION_SECRET = 'session_secret';

function cleanMountPath(path: string, where: string): string {
  if (!path.startsWith('/')) throw invalidRequest(`${where}.mount_path must be an absolute path`);
  const parts = path.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.includes('..')) throw invalidRequest(`${where}.mount_path must not contain ..`);
  return `/${parts.join('/')}`;
}

function repositoryName(url: string): string {
  const last = new URL(url).pathname.split('/').filter(Boolean).pop() ?? 'repository';
  return last.replace(/\.git$/, '') || 'repository';
}

/**
 * Resolves the `resources` of a new session: file resources get a session-scoped copy of the
 * file, repositories a default mount path, and tokens are kept aside, never returned (spec 3.5).
 * Every resource is checked before anything is written, so a rejected request leaves no copy
 * and no secret behind.
 */
export async function resolveResources(
  caller: Caller,
  store: Store,
  files: Files,
  sessionId: string,
  environment: Environment,
  params: readonly SessionResourceParamsT[],
): Promise<SessionResource[]> {
  const plans: Array<() => Promise<SessionResource>> = [];
  let memoryStores = 0;
  const mounts = new Set<string>();
  const claimMount = (path: string, where: string): string => {
    const mountPath = cleanMountPath(path, where);
    if (mounts.has(mountPath)) throw invalidRequest(`${where}.mount_path ${mountPath} is used twice`);
    mounts.add(mountPath);
    return mountPath;
  };
  for (const [index, resource] of params.entries()) {
    const where = `resources[${index}]`;
    if (environment.config.type === 'self_hosted' && resource.type !== 'memory_store') {
      throw invalidRequest(`${where}: ${resource.type} resources are not supported on self_hosted environments`);
    }
    if (resource.type === 'file') {
      const source = await files.find(caller, resource.file_id);
      if (!source) throw notFound('file', resource.file_id);
      const mountPath = claimMount(resource.mount_path ?? `/mnt/session/uploads/${resource.file_id}`, where);
      plans.push(async () => {
        const now = isoNow();
        const copy = await files.copyForSession(caller, resource.file_id, sessionId);
        return { type: 'file', id: newId('sessionResource'), file_id: copy.id, mount_path: mountPath, created_at: now, updated_at: now };
      });
    } else if (resource.type === 'github_repository') {
      const mountPath = claimMount(resource.mount_path ?? `/workspace/${repositoryName(resource.url)}`, where);
      plans.push(async () => {
        const now = isoNow();
        const id = newId('sessionResource');
        if (resource.authorization_token) {
          await store.documents.insert({
            kind: SESSION_SECRET,
            id,
            workspaceId: caller.workspaceId,
            parentId: sessionId,
            ord: 0,
            name: null,
            createdAt: now,
            archivedAt: null,
            body: { authorization_token: resource.authorization_token },
          });
        }
        return {
          type: 'github_repository',
          id,
          url: resource.url,
          mount_path: mountPath,
          checkout: resource.checkout ?? null,
          created_at: now,
          updated_at: now,
        };
      });
    } else {
      memoryStores += 1;
      if (memoryStores > 8) throw invalidRequest(`${where}: at most 8 memory stores can be attached to a session`);
      const row = await store.documents.get<{ name: string; description: string; archived_at: string | null }>('memory_store', resource.memory_store_id);
      if (!row || row.workspaceId !== caller.workspaceId) throw notFound('memory store', resource.memory_store_id);
      if (row.body.archived_at) throw invalidRequest(`${where}: memory store ${resource.memory_store_id} is archived`);
      const slug = row.body.name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || resource.memory_store_id;
      const attached: SessionResource = {
        type: 'memory_store',
        memory_store_id: resource.memory_store_id,
        access: resource.access ?? 'read_write',
        instructions: resource.instructions ?? null,
        name: row.body.name,
        description: row.body.description ?? '',
        mount_path: `/mnt/memory/${slug}`,
      };
      plans.push(async () => attached);
    }
  }
  const out: SessionResource[] = [];
  for (const plan of plans) out.push(await plan());
  return out;
}
