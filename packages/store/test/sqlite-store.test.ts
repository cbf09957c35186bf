import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '@longhand/store/sqlite';
import { openMemoryStore } from '@longhand/store/testing';
import { signalsConformance } from './conformance/signals-conformance.js';
import { storeConformance } from './conformance/store-conformance.js';
import { makeSession, sleep, text } from './conformance/fixtures.js';
import { LocalPreviewChannel } from '../src/local-previews.js';
import { SqlStore } from '../src/sql/sql-store.js';
import { SqliteDriver } from '../src/sqlite/sqlite-driver.js';

const dir = mkdtempSync(join(tmpdir(), 'longhand-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;

storeConformance('sqlite file', () => openSqliteStore(join(dir, `conformance-${(counter += 1)}.db`)));
storeConformance('in-memory (sqlite :memory:)', () => openMemoryStore());
signalsConformance('sqlite file', () => openSqliteStore(join(dir, `signals-${(counter += 1)}.db`)));
signalsConformance('in-memory (sqlite :memory:)', () => openMemoryStore());

describe('sqlite file store', () => {
  it('keeps every acknowledged event across a reopen', async () => {
    const path = join(dir, 'durable.db');
    const first = await openSqliteStore(path);
    const session = makeSession();
    await first.sessions.create('wrkspc_a', session);
    const appended = await first.events.append(session.id, [{ body: text('kept') }]);
    await first.close();
    const second = await openSqliteStore(path);
    expect((await second.events.read(session.id)).map((e) => e.event)).toEqual(appended.map((e) => e.event));
    expect((await second.sessions.get(session.id))!.lastSeq).toBe(1);
    await second.close();
  });

  it('runs in WAL mode with full synchronous commits', async () => {
    const path = join(dir, 'pragmas.db');
    const store = await openSqliteStore(path);
    await store.close();
    const db = new Database(path);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('refuses a database written by a newer release instead of touching it', async () => {
    const path = join(dir, 'future.db');
    const store = await openSqliteStore(path);
    await store.close();
    const db = new Database(path);
    db.prepare(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 'x')`).run();
    db.close();
    await expect(openSqliteStore(path)).rejects.toThrow(/newer than this Longhand build/);
  });
});

describe('appends behind previews being sent', () => {
  it('are written once the previews sent ahead of them have left, each in the order it was made', async () => {
    let sendComplete!: () => void;
    const sending = new Promise<void>((resolve) => (sendComplete = resolve));
    let pendingFor: string | undefined;
    // A channel with previews of one session still to send (as the PostgreSQL one has while a
    // NOTIFY is on its way): its flush returns the send, which the test completes by hand.
    const previews = Object.assign(new LocalPreviewChannel(), {
      flush: (sessionId?: string) => {
        if (sessionId !== pendingFor) return undefined;
        pendingFor = undefined;
        return sending;
      },
    });
    const store = new SqlStore(new SqliteDriver(join(dir, 'held.db')), { previews });
    await store.migrate();
    const session = makeSession();
    const other = makeSession();
    await store.sessions.create('wrkspc_a', session);
    await store.sessions.create('wrkspc_a', other);
    pendingFor = session.id;
    const done: string[] = [];
    const first = store.events.append(session.id, [{ body: text('after the preview') }]).then(() => done.push('first'));
    const second = store.events.append(other.id, [{ body: text('made after it') }]).then(() => done.push('second'));
    await sleep(50);
    expect(done).toEqual([]);
    expect(await store.events.read(session.id)).toEqual([]);
    sendComplete();
    await Promise.all([first, second]);
    expect(done).toEqual(['first', 'second']);
    expect((await store.events.read(session.id)).map((e) => e.event)).toMatchObject([{ content: [{ text: 'after the preview' }] }]);
    expect((await store.events.read(other.id)).map((e) => e.event)).toMatchObject([{ content: [{ text: 'made after it' }] }]);
    await store.close();
  });
});
