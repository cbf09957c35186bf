import { LonghandError } from '@longhand/protocol';
import type { DocumentQuery, DocumentRow, DocumentUpdate, Documents } from '../documents.js';
import { UniqueViolation, type SqlDriver } from './driver.js';

interface Row {
  kind: string;
  id: string;
  workspace_id: string;
  parent_id: string | null;
  ord: number | string;
  name: string | null;
  created_at: string;
  archived_at: string | null;
  body: string;
}

const COLUMNS = 'kind, id, workspace_id, parent_id, ord, name, created_at, archived_at, body';

function toDocument<T>(row: Row): DocumentRow<T> {
  return {
    kind: row.kind,
    id: row.id,
    workspaceId: row.workspace_id,
    parentId: row.parent_id,
    ord: Number(row.ord),
    name: row.name,
    createdAt: row.created_at,
    archivedAt: row.archived_at,
    body: JSON.parse(row.body) as T,
  };
}

function nameConflict(kind: string, name: string | null | undefined, cause: unknown): LonghandError {
  return new LonghandError('name_conflict', `a ${kind.replace(/_/g, ' ')} named "${name}" already exists`, {
    retryable: false,
    cause,
  });
}

/** The documents table over SQL. */
export class SqlDocuments implements Documents {
  constructor(private readonly driver: SqlDriver) {}

  async insert<T>(row: DocumentRow<T>): Promise<void> {
    try {
      await this.driver.run(`INSERT INTO documents (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, [
        row.kind,
        row.id,
        row.workspaceId,
        row.parentId,
        row.ord,
        row.name,
        row.createdAt,
        row.archivedAt,
        JSON.stringify(row.body),
      ]);
    } catch (error) {
      if (error instanceof UniqueViolation) throw nameConflict(row.kind, row.name, error);
      throw error;
    }
  }

  async get<T>(kind: string, id: string): Promise<DocumentRow<T> | undefined> {
    const rows = await this.driver.all<Row>(`SELECT ${COLUMNS} FROM documents WHERE kind = ? AND id = ?`, [kind, id]);
    return rows[0] ? toDocument<T>(rows[0]) : undefined;
  }

  async getByName<T>(kind: string, workspaceId: string, name: string, parentId: string | null = null): Promise<DocumentRow<T> | undefined> {
    const rows = await this.driver.all<Row>(
      `SELECT ${COLUMNS} FROM documents
       WHERE kind = ? AND workspace_id = ? AND COALESCE(parent_id, '') = ? AND name = ? AND archived_at IS NULL LIMIT 1`,
      [kind, workspaceId, parentId ?? '', name],
    );
    return rows[0] ? toDocument<T>(rows[0]) : undefined;
  }

  async findByNameAnywhere<T>(kind: string, name: string): Promise<DocumentRow<T> | undefined> {
    const rows = await this.driver.all<Row>(`SELECT ${COLUMNS} FROM documents WHERE kind = ? AND name = ? LIMIT 1`, [kind, name]);
    return rows[0] ? toDocument<T>(rows[0]) : undefined;
  }

  async list<T>(kind: string, query: DocumentQuery): Promise<Array<DocumentRow<T>>> {
    const where = ['kind = ?', 'workspace_id = ?'];
    const params: unknown[] = [kind, query.workspaceId];
    if (query.parentId !== undefined) {
      where.push('parent_id = ?');
      params.push(query.parentId);
    }
    if (!query.includeArchived) where.push('archived_at IS NULL');
    for (const [key, op] of [['gt', '>'], ['gte', '>='], ['lt', '<'], ['lte', '<=']] as const) {
      const value = query.createdAt?.[key];
      if (value !== undefined) {
        where.push(`created_at ${op} ?`);
        params.push(value);
      }
    }
    const descending = query.order === 'desc';
    const cmp = descending ? '<' : '>';
    if (query.after !== undefined) {
      if (typeof query.after === 'number') {
        where.push(`ord ${cmp} ?`);
        params.push(query.after);
      } else {
        where.push(`(created_at, id) ${cmp} (?, ?)`);
        params.push(query.after[0], query.after[1]);
      }
    }
    const direction = descending ? 'DESC' : 'ASC';
    const orderBy = query.byOrd ? `ord ${direction}` : `created_at ${direction}, id ${direction}`;
    params.push(query.limit);
    const rows = await this.driver.all<Row>(
      `SELECT ${COLUMNS} FROM documents WHERE ${where.join(' AND ')} ORDER BY ${orderBy} LIMIT ?`,
      params,
    );
    return rows.map((row) => toDocument<T>(row));
  }

  async listKind<T>(kind: string, afterId: string | undefined, limit: number): Promise<Array<DocumentRow<T>>> {
    const rows = await this.driver.all<Row>(
      `SELECT ${COLUMNS} FROM documents WHERE kind = ? AND id > ? ORDER BY id LIMIT ?`,
      [kind, afterId ?? '', limit],
    );
    return rows.map((row) => toDocument<T>(row));
  }

  async update<T>(kind: string, id: string, update: DocumentUpdate<T>, expectOrd?: number): Promise<boolean> {
    const sets = ['body = ?'];
    const params: unknown[] = [JSON.stringify(update.body)];
    if (update.ord !== undefined) {
      sets.push('ord = ?');
      params.push(update.ord);
    }
    if (update.name !== undefined) {
      sets.push('name = ?');
      params.push(update.name);
    }
    if (update.archivedAt !== undefined) {
      sets.push('archived_at = ?');
      params.push(update.archivedAt);
    }
    params.push(kind, id);
    let where = 'kind = ? AND id = ?';
    if (expectOrd !== undefined) {
      where += ' AND ord = ?';
      params.push(expectOrd);
    }
    try {
      return (await this.driver.run(`UPDATE documents SET ${sets.join(', ')} WHERE ${where}`, params)) > 0;
    } catch (error) {
      if (error instanceof UniqueViolation) throw nameConflict(kind, update.name, error);
      throw error;
    }
  }

  async delete(kind: string, id: string): Promise<boolean> {
    return this.driver.transaction(async (tx) => {
      await tx.run(`DELETE FROM documents WHERE parent_id = ?`, [id]);
      return (await tx.run(`DELETE FROM documents WHERE kind = ? AND id = ?`, [kind, id])) > 0;
    });
  }

  async deleteChildren(kind: string, parentId: string): Promise<number> {
    return this.driver.run(`DELETE FROM documents WHERE kind = ? AND parent_id = ?`, [kind, parentId]);
  }
}
