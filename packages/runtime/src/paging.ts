import { decodeCursor, encodeCursor, type CursorPage } from '@longhand/protocol';
import type { DocumentRow, Documents } from '@longhand/store';

export const DEFAULT_PAGE_SIZE = 20;

export interface DocumentPageQuery {
  limit?: number | undefined;
  page?: string | undefined;
  include_archived?: boolean | undefined;
  'created_at[gt]'?: string | undefined;
  'created_at[gte]'?: string | undefined;
  'created_at[lt]'?: string | undefined;
  'created_at[lte]'?: string | undefined;
}

/**
 * One page of documents of a kind, newest first, with `next_page: null` on the last page
 * (the SDK's auto-pagination loops forever otherwise). Reads one extra row to know.
 */
export async function pageDocuments<T, R>(
  documents: Documents,
  kind: string,
  scope: { workspaceId: string; parentId?: string; byOrd?: boolean },
  query: DocumentPageQuery,
  map: (row: DocumentRow<T>) => R,
): Promise<CursorPage<R>> {
  const limit = query.limit ?? DEFAULT_PAGE_SIZE;
  const cursor = query.page ? decodeCursor(query.page, 'desc') : undefined;
  const rows = await documents.list<T>(kind, {
    workspaceId: scope.workspaceId,
    ...(scope.parentId !== undefined ? { parentId: scope.parentId } : {}),
    byOrd: scope.byOrd ?? false,
    includeArchived: query.include_archived ?? false,
    createdAt: { gt: query['created_at[gt]'], gte: query['created_at[gte]'], lt: query['created_at[lt]'], lte: query['created_at[lte]'] },
    order: 'desc',
    ...(cursor ? { after: cursor.after } : {}),
    limit: limit + 1,
  });
  const more = rows.length > limit;
  const data = rows.slice(0, limit);
  const last = data[data.length - 1];
  const next =
    more && last
      ? encodeCursor({ after: scope.byOrd ? last.ord : [last.createdAt, last.id], order: 'desc', dir: 'next' })
      : null;
  return { data: data.map(map), next_page: next };
}
