import { z } from 'zod';

/** Metadata bag: at most 16 pairs, keys up to 64 characters, values up to 512. */
export const Metadata = z
  .record(z.string(), z.string())
  .superRefine((bag, ctx) => checkMetadata(bag, ctx));

/** Metadata patch on update: a string upserts a key, `null` deletes it. */
export const MetadataPatch = z
  .record(z.string(), z.string().nullable())
  .superRefine((bag, ctx) => checkMetadata(bag, ctx));

function checkMetadata(bag: Record<string, string | null>, ctx: z.RefinementCtx): void {
  const keys = Object.keys(bag);
  if (keys.length > 16) ctx.addIssue({ code: 'custom', message: 'at most 16 metadata pairs are allowed' });
  for (const key of keys) {
    if (key.length === 0 || key.length > 64) {
      ctx.addIssue({ code: 'custom', path: [key], message: 'metadata keys must be 1 to 64 characters long' });
    }
    const value = bag[key];
    if (typeof value === 'string' && value.length > 512) {
      ctx.addIssue({ code: 'custom', path: [key], message: 'metadata values must be at most 512 characters long' });
    }
  }
}

/** An opaque id string as it arrives in a body; prefixes are checked where the kind is known. */
export const Id = z.string().min(1).max(128);

/** `{ amount: "2500", currency: "USD" }`: a positive whole number of cents. */
export const Money = z.strictObject({
  amount: z.string().regex(/^[1-9][0-9]{0,14}$/, 'amount must be a positive whole number of cents, such as "2500"'),
  currency: z.literal('USD'),
});

export const BudgetParams = z.strictObject({ type: z.literal('limit'), max_list_cost: Money });

export const TextBlock = z.strictObject({ type: z.literal('text'), text: z.string() });

const Base64Image = z.strictObject({ type: z.literal('base64'), data: z.string(), media_type: z.string().min(1) });
const UrlSource = z.strictObject({ type: z.literal('url'), url: z.string().min(1) });
const FileSource = z.strictObject({ type: z.literal('file'), file_id: Id });

export const ImageBlock = z.strictObject({
  type: z.literal('image'),
  source: z.discriminatedUnion('type', [Base64Image, UrlSource, FileSource]),
});

export const DocumentBlock = z.strictObject({
  type: z.literal('document'),
  source: z.discriminatedUnion('type', [
    z.strictObject({ type: z.literal('base64'), data: z.string(), media_type: z.string().min(1) }),
    z.strictObject({ type: z.literal('text'), data: z.string(), media_type: z.literal('text/plain') }),
    UrlSource,
    FileSource,
  ]),
  title: z.string().nullish(),
  context: z.string().nullish(),
});

/** Accepted by the parser only so that the validator can say clearly why it is refused. */
export const RedactedBlock = z.strictObject({ type: z.literal('redacted') });

export const SearchResultBlock = z.strictObject({
  type: z.literal('search_result'),
  source: z.string(),
  title: z.string(),
  content: z.array(TextBlock),
  citations: z.strictObject({ enabled: z.boolean() }),
});

export const UserContentBlock = z.discriminatedUnion('type', [TextBlock, ImageBlock, DocumentBlock, RedactedBlock]);
export const ToolResultContentBlock = z.discriminatedUnion('type', [TextBlock, ImageBlock, DocumentBlock, SearchResultBlock]);

export type TextBlockT = z.output<typeof TextBlock>;
export type UserContentBlockT = z.output<typeof UserContentBlock>;
export type ToolResultContentBlockT = z.output<typeof ToolResultContentBlock>;
export type MoneyT = z.output<typeof Money>;
export type BudgetParamsT = z.output<typeof BudgetParams>;
