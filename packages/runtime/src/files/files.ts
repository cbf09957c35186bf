import { isoFromMillis, newId, notFound, invalidRequest, LonghandError, type CursorPage, type FileMetadata } from '@longhand/protocol';
import type { Store } from '@longhand/store';
import type { Caller } from '../caller.js';
import { pageDocuments, type DocumentPageQuery } from '../paging.js';
import type { BlobStore } from './blob-store.js';

const KIND = 'file';

export interface UploadParams {
  filename: string;
  mimeType: string;
  data: Uint8Array;
  expiresInSeconds?: number;
  /** Set for files captured from or copied into a session. */
  scopeSessionId?: string;
  downloadable?: boolean;
}

/** Keeps only the last path component of an uploaded filename (spec 1.5). */
export function cleanFilename(name: string | undefined, mimeType: string): string {
  const last = (name ?? '').split(/[\\/]/).pop()?.trim() ?? '';
  if (last !== '' && last !== '.' && last !== '..') return last.slice(0, 255);
  const extension = mimeType === 'application/pdf' ? '.pdf' : mimeType.startsWith('text/') ? '.txt' : '';
  return `unnamed${extension}`;
}

/** The Files API (spec 2.8): uploads, metadata, downloads; session-scoped copies for mounts. */
export class Files {
  constructor(
    private readonly store: Store,
    private readonly blobs: BlobStore,
    private readonly maxBytes: number,
  ) {}

  async upload(caller: Caller, params: UploadParams): Promise<FileMetadata> {
    if (params.data.byteLength > this.maxBytes) {
      throw new LonghandError('request_too_large', `file is larger than the ${this.maxBytes}-byte limit`);
    }
    if (params.expiresInSeconds !== undefined && (params.expiresInSeconds < 3600 || params.expiresInSeconds > 7_776_000)) {
      throw invalidRequest('expires_in_seconds must be between 3600 and 7776000');
    }
    const now = Date.now();
    const file: FileMetadata = {
      type: 'file',
      id: newId('file'),
      filename: cleanFilename(params.filename, params.mimeType),
      mime_type: params.mimeType || 'application/octet-stream',
      size_bytes: params.data.byteLength,
      created_at: isoFromMillis(now),
      downloadable: params.downloadable ?? false,
      expires_at: params.expiresInSeconds ? isoFromMillis(now + params.expiresInSeconds * 1000) : null,
      scope: params.scopeSessionId ? { type: 'session', id: params.scopeSessionId } : null,
    };
    await this.blobs.put(file.id, params.data);
    await this.store.documents.insert<FileMetadata>({
      kind: KIND,
      id: file.id,
      workspaceId: caller.workspaceId,
      parentId: params.scopeSessionId ?? null,
      ord: 0,
      name: null,
      createdAt: file.created_at,
      archivedAt: null,
      body: file,
    });
    return file;
  }

  async find(caller: Caller, id: string): Promise<FileMetadata | undefined> {
    const row = await this.store.documents.get<FileMetadata>(KIND, id);
    if (!row || row.workspaceId !== caller.workspaceId) return undefined;
    if (row.body.expires_at && Date.parse(row.body.expires_at) <= Date.now()) return undefined;
    return row.body;
  }

  async retrieve(caller: Caller, id: string): Promise<FileMetadata> {
    const file = await this.find(caller, id);
    if (file) return file;
    const row = await this.store.documents.get<FileMetadata>(KIND, id);
    // An expired file of the caller's own workspace says so (spec 1.7: `404 file_expired`).
    if (row && row.workspaceId === caller.workspaceId) throw new LonghandError('file_expired', `file ${id} expired at ${row.body.expires_at}`);
    throw notFound('file', id);
  }

  /** The bytes of a file. Every file of the caller's workspace can be downloaded by its owner. */
  async download(caller: Caller, id: string): Promise<{ file: FileMetadata; body: ReadableStream<Uint8Array> }> {
    const file = await this.retrieve(caller, id);
    const body = await this.blobs.get(file.id);
    if (!body) throw notFound('file content', id);
    return { file, body };
  }

  /** Makes the session-scoped copy a mounted file resource refers to (spec 3.5). */
  async copyForSession(caller: Caller, id: string, sessionId: string): Promise<FileMetadata> {
    const { file, body } = await this.download(caller, id);
    const data = new Uint8Array(await new Response(body).arrayBuffer());
    return this.upload(caller, { filename: file.filename, mimeType: file.mime_type, data, scopeSessionId: sessionId });
  }

  async list(caller: Caller, query: DocumentPageQuery & { scope_id?: string | undefined }): Promise<CursorPage<FileMetadata>> {
    return pageDocuments<FileMetadata, FileMetadata>(
      this.store.documents,
      KIND,
      { workspaceId: caller.workspaceId, ...(query.scope_id ? { parentId: query.scope_id } : {}) },
      query,
      (row) => row.body,
    );
  }

  async delete(caller: Caller, id: string): Promise<{ id: string; type: 'file_deleted' }> {
    await this.retrieve(caller, id);
    await this.store.documents.delete(KIND, id);
    await this.blobs.delete(id);
    return { id, type: 'file_deleted' };
  }

  /** Deletes every file scoped to a session (when the session is deleted). */
  async deleteSessionFiles(caller: Caller, sessionId: string): Promise<void> {
    for (;;) {
      const rows = await this.store.documents.list<FileMetadata>(KIND, { workspaceId: caller.workspaceId, parentId: sessionId, limit: 100 });
      if (rows.length === 0) return;
      for (const row of rows) {
        await this.store.documents.delete(KIND, row.id);
        await this.blobs.delete(row.id);
      }
    }
  }
}
