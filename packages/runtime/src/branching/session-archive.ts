import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { invalidRequest, isoNow, LonghandError, newId, parse, type FileMetadata, type Session, type SessionEvent } from '@longhand/protocol';
import type { StoredEvent, Store } from '@longhand/store';
import type { Caller } from '../caller.js';
import type { Environments } from '../environments/environments.js';
import type { Files } from '../files/files.js';
import type { Hands } from '../hands/hands.js';
import type { RoamingWorkspaces } from '../roaming/roaming-workspaces.js';
import { ARCHIVE_FORMAT, ArchiveManifest, EVENTS_ENTRY, FILE_ENTRY, LAYER_ENTRY, MANIFEST_ENTRY, type ArchiveManifestT } from './archive-manifest.js';
import { CHECKPOINT, type Checkpoints, type StoredCheckpoint } from './checkpoints.js';
import { END_OF_ARCHIVE, fileHeader, padding, readTar } from './ustar.js';

const MAX_MANIFEST_BYTES = 256 * 1024 * 1024;
const MAX_EVENTS_BYTES = 2 * 1024 * 1024 * 1024;
const encoder = new TextEncoder();

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

async function collect(body: AsyncIterable<Uint8Array>, limit: number, name: string): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of body) {
    total += chunk.length;
    if (total > limit) throw invalidRequest(`the archive entry ${name} is larger than allowed`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Moving a session between machines: one archive with its log, checkpoints, files and layers. */
export class SessionArchives {
  constructor(
    private readonly store: Store,
    private readonly files: Files,
    private readonly environments: Environments,
    private readonly checkpoints: Checkpoints,
    private readonly hands: () => Hands | undefined,
    private readonly scratch: string,
    /** Set when workspaces roam between workers: layers are read from and stored in the object store. */
    private readonly roaming?: RoamingWorkspaces,
  ) {}

  /**
   * The archive of a session as a stream. It checkpoints the session first, so the archive holds
   * the workspace as it is now. Entries: the manifest, the log, the session's files, its layers.
   */
  async export(caller: Caller, sessionId: string): Promise<ReadableStream<Uint8Array>> {
    const record = await this.store.sessions.get(sessionId);
    if (!record || record.workspaceId !== caller.workspaceId) throw new LonghandError('not_found', `session not found: ${sessionId}`);
    await this.checkpoints.take(sessionId, 'manual');
    const events: StoredEvent[] = [];
    for (let after = 0; ; ) {
      const batch = await this.store.events.read(sessionId, { afterSeq: after, limit: 1000, withRedeliveries: true });
      events.push(...batch);
      if (batch.length < 1000) break;
      after = batch[batch.length - 1]!.seq;
    }
    const eventsBytes = encoder.encode(events.map((e) => JSON.stringify({ seq: e.seq, event: e.event, internal: e.internal, redelivery: e.redelivery })).join('\n'));
    const checkpoints = (await this.store.documents.list<StoredCheckpoint>(CHECKPOINT, { workspaceId: caller.workspaceId, parentId: sessionId, byOrd: true, order: 'asc', limit: 100_000 })).map((row) => row.body);
    const files = await this.store.documents.list<FileMetadata>('file', { workspaceId: caller.workspaceId, parentId: sessionId, limit: 10_000 });
    const fileBytes = new Map<string, Uint8Array>();
    for (const file of files) {
      const { body } = await this.files.download(caller, file.id);
      fileBytes.set(file.id, new Uint8Array(await new Response(body).arrayBuffer()));
    }
    const hands = this.hands();
    const layerIds = [...new Set(checkpoints.flatMap((c) => c.layers))];
    const dir = await mkdtemp(join(this.scratch, 'export-'));
    const layers: Array<{ id: string; bytes: number; path: string }> = [];
    try {
      for (const id of layerIds) {
        if (!hands && !this.roaming) throw new LonghandError('unavailable', 'this process has no sandboxes, so it cannot read workspace layers');
        const path = join(dir, `${id.replace(':', '-')}.tar`);
        await pipeline(this.roaming ? await this.roaming.exportLayer(id) : await hands!.exportLayer(id), createWriteStream(path));
        layers.push({ id, bytes: (await stat(path)).size, path });
      }
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
    const manifest: ArchiveManifestT = {
      format: ARCHIVE_FORMAT,
      exported_at: isoNow(),
      session: record.session as unknown as ArchiveManifestT['session'],
      events: { count: events.length, sha256: sha256(eventsBytes) },
      checkpoints: checkpoints as unknown as ArchiveManifestT['checkpoints'],
      layers: layers.map(({ id, bytes }) => ({ id, bytes })),
      files: files.map((f) => ({ id: f.id, filename: f.body.filename, mime_type: f.body.mime_type, sha256: sha256(fileBytes.get(f.id)!), size_bytes: f.body.size_bytes })),
    };
    const manifestBytes = encoder.encode(JSON.stringify(manifest));
    async function* entries(): AsyncGenerator<Uint8Array> {
      try {
        for (const [name, bytes] of [[MANIFEST_ENTRY, manifestBytes], [EVENTS_ENTRY, eventsBytes], ...[...fileBytes].map(([id, b]) => [`files/${id}`, b] as const)] as const) {
          yield fileHeader(name, bytes.length, Date.now());
          yield bytes;
          yield padding(bytes.length);
        }
        for (const layer of layers) {
          yield fileHeader(`layers/${layer.id}.tar`, layer.bytes, Date.now());
          for await (const chunk of createReadStream(layer.path)) yield chunk as Uint8Array;
          yield padding(layer.bytes);
        }
        yield END_OF_ARCHIVE;
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
    return Readable.toWeb(Readable.from(entries())) as ReadableStream<Uint8Array>;
  }

  /**
   * Creates a new session (with a new id, in the caller's workspace, on `environmentId`) from an
   * archive. Everything is checked before anything is kept: entry names and types, every
   * checksum, every layer's own entries and id. On any failure nothing remains.
   */
  async import(caller: Caller, environmentId: string, source: AsyncIterable<Uint8Array>): Promise<Session> {
    const environment = await this.environments.retrieve(caller, environmentId);
    if (environment.archived_at) throw new LonghandError('environment_archived', `environment ${environmentId} is archived`);
    const imported: string[] = [];
    let created: string | undefined;
    try {
      let manifest: ArchiveManifestT | undefined;
      let events: StoredEvent[] | undefined;
      const files = new Map<string, Uint8Array>();
      const seen = new Set<string>();
      for await (const entry of readTar(source)) {
        if (seen.has(entry.name)) throw invalidRequest(`the archive has the entry ${entry.name} twice`);
        seen.add(entry.name);
        if (!manifest) {
          if (entry.name !== MANIFEST_ENTRY) throw invalidRequest(`the archive must start with ${MANIFEST_ENTRY}`);
          const raw = new TextDecoder().decode(await collect(entry.body, MAX_MANIFEST_BYTES, entry.name));
          let json: unknown;
          try {
            json = JSON.parse(raw);
          } catch {
            throw invalidRequest('the archive manifest is not JSON');
          }
          manifest = parse(ArchiveManifest, json, 'manifest');
          continue;
        }
        const layer = LAYER_ENTRY.exec(entry.name);
        const file = FILE_ENTRY.exec(entry.name);
        if (entry.name === EVENTS_ENTRY) {
          const bytes = await collect(entry.body, MAX_EVENTS_BYTES, entry.name);
          if (sha256(bytes) !== manifest.events.sha256) throw invalidRequest('the archive log does not match its checksum');
          events = parseEvents(bytes, manifest.events.count);
        } else if (layer && manifest.layers.some((l) => l.id === layer[1])) {
          const hands = this.hands();
          if (!hands) throw new LonghandError('unavailable', 'this process has no sandboxes, so it cannot import workspace layers');
          await hands.importLayer(layer[1]!, Readable.from(entry.body));
          imported.push(layer[1]!);
        } else if (file && manifest.files.some((f) => f.id === file[1])) {
          const bytes = await collect(entry.body, 4 * 1024 * 1024 * 1024, entry.name);
          if (sha256(bytes) !== manifest.files.find((f) => f.id === file[1])!.sha256) throw invalidRequest(`the archive file ${file[1]} does not match its checksum`);
          files.set(file[1]!, bytes);
        } else throw invalidRequest(`the archive has an unexpected entry: ${entry.name}`);
      }
      if (!manifest) throw invalidRequest('the archive is empty');
      if (!events) throw invalidRequest(`the archive has no ${EVENTS_ENTRY}`);
      for (const layer of manifest.layers) if (!imported.includes(layer.id)) throw invalidRequest(`the archive lacks the layer ${layer.id}`);
      for (const file of manifest.files) if (!files.has(file.id)) throw invalidRequest(`the archive lacks the file ${file.id}`);
      created = await this.create(caller, environmentId, manifest, events, files);
      return (await this.store.sessions.get(created))!.session;
    } catch (error) {
      if (created) await this.store.sessions.delete(created).catch(() => undefined);
      const hands = this.hands();
      if (hands && imported.length > 0) await hands.collect(await this.checkpoints.referencedLayers()).catch(() => undefined);
      throw error;
    }
  }

  private async create(caller: Caller, environmentId: string, manifest: ArchiveManifestT, events: StoredEvent[], files: Map<string, Uint8Array>): Promise<string> {
    const original = manifest.session as unknown as Session;
    const now = isoNow();
    const session: Session = { ...original, id: newId('session'), environment_id: environmentId, status: 'idle', usage: {}, stats: {}, archived_at: null, created_at: now, updated_at: now };
    delete session.forked_from;
    const fileIds = new Map<string, string>();
    await this.store.sessions.create(caller.workspaceId, { ...session, resources: [] });
    for (const meta of manifest.files) {
      const copy = await this.files.upload(caller, { filename: meta.filename, mimeType: meta.mime_type, data: files.get(meta.id)!, scopeSessionId: session.id });
      fileIds.set(meta.id, copy.id);
    }
    const resources = original.resources.map((r) => (r.type === 'file' ? { ...r, file_id: fileIds.get(r.file_id) ?? r.file_id } : r));
    await this.store.sessions.update(session.id, { resources });
    await this.store.events.load(session.id, events);
    // Layers are in the object store (and claimed) before any record names them.
    await this.roaming?.ship(manifest.layers.map((layer) => layer.id));
    for (const stored of manifest.checkpoints) {
      const checkpoint = { ...(stored.checkpoint as unknown as StoredCheckpoint['checkpoint']), id: newId('checkpoint'), session_id: session.id };
      await this.store.documents.insert<StoredCheckpoint>({
        kind: CHECKPOINT, id: checkpoint.id, workspaceId: caller.workspaceId, parentId: session.id, ord: checkpoint.seq, name: null,
        createdAt: checkpoint.created_at, archivedAt: null, body: { checkpoint, layers: stored.layers, status: stored.status },
      });
    }
    const latest = manifest.checkpoints[manifest.checkpoints.length - 1];
    if (latest && this.roaming) await this.roaming.fork(latest.layers, undefined, session.id, caller.workspaceId);
    else if (latest) await this.hands()?.fork(latest.layers, undefined, session.id);
    return session.id;
  }
}

function parseEvents(bytes: Uint8Array, count: number): StoredEvent[] {
  const text = new TextDecoder().decode(bytes);
  const lines = text === '' ? [] : text.split('\n');
  if (lines.length !== count) throw invalidRequest(`the archive log has ${lines.length} events, not the ${count} its manifest says`);
  return lines.map((line, index) => {
    let value: { seq?: unknown; event?: SessionEvent; internal?: unknown; redelivery?: unknown };
    try {
      value = JSON.parse(line);
    } catch {
      throw invalidRequest(`line ${index + 1} of the archive log is not JSON`);
    }
    const event = value.event as SessionEvent | undefined;
    if (value.seq !== index + 1 || !event || typeof event.id !== 'string' || typeof event.type !== 'string') {
      throw invalidRequest(`line ${index + 1} of the archive log is not an event with seq ${index + 1}`);
    }
    return { seq: index + 1, event, internal: (value.internal ?? null) as Record<string, unknown> | null, redelivery: value.redelivery === true };
  });
}
