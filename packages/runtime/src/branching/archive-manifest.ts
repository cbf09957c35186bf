import { z } from 'zod';

/** The format written into every archive; a reader refuses formats it does not know. */
export const ARCHIVE_FORMAT = 'longhand-session/1';
export const MANIFEST_ENTRY = 'longhand-session.json';
export const EVENTS_ENTRY = 'events.jsonl';
export const LAYER_ENTRY = /^layers\/(sha256:[0-9a-f]{64})\.tar$/;
export const FILE_ENTRY = /^files\/(file_[A-Za-z0-9]{1,64})$/;

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/);

/** What the first entry of a session archive says; every other entry must be listed in it. */
export const ArchiveManifest = z.object({
  format: z.literal(ARCHIVE_FORMAT),
  exported_at: z.string(),
  session: z.looseObject({ type: z.literal('session'), id: z.string(), agent: z.looseObject({ id: z.string() }) }),
  events: z.object({ count: z.number().int().nonnegative(), sha256: Sha256 }),
  checkpoints: z.array(
    z.object({
      checkpoint: z.looseObject({ id: z.string(), seq: z.number().int().nonnegative(), trigger: z.string(), created_at: z.string() }),
      layers: z.array(z.string().regex(/^sha256:[0-9a-f]{64}$/)),
      status: z.enum(['idle', 'running', 'rescheduling', 'terminated']),
    }),
  ).max(100_000),
  layers: z.array(z.object({ id: z.string().regex(/^sha256:[0-9a-f]{64}$/), bytes: z.number().int().nonnegative() })).max(10_000),
  files: z
    .array(z.object({ id: z.string().regex(/^file_[A-Za-z0-9]{1,64}$/), filename: z.string(), mime_type: z.string(), sha256: Sha256, size_bytes: z.number().int().nonnegative() }))
    .max(10_000),
});

export type ArchiveManifestT = z.output<typeof ArchiveManifest>;
