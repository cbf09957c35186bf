import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkpoints, run, storedLayers, turn } from './support.js';
import { RestartableServer } from './restartable.js';
import { buildTar, parseTar, sha256, type Entry } from './tar-fixtures.js';

let source: RestartableServer;
let target: RestartableServer;
let targetEnvironment: string;
let archive: Buffer;
let sourceSession: string;

async function exportOf(server: RestartableServer, sessionId: string): Promise<Buffer> {
  const response = await fetch(`${server.url}/v1/sessions/${sessionId}/export`, { headers: { 'x-api-key': server.adminKey } });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('application/x-tar');
  return Buffer.from(await response.arrayBuffer());
}

async function importInto(server: RestartableServer, body: Buffer): Promise<Response> {
  return fetch(`${server.url}/v1/sessions/import?environment_id=${targetEnvironment}`, {
    method: 'POST',
    headers: { 'x-api-key': server.adminKey, 'content-type': 'application/x-tar' },
    body,
  });
}

async function sessionCount(server: RestartableServer): Promise<number> {
  return (await server.client.beta.sessions.list({ limit: 1000, include_archived: true })).data.length;
}

const layerCount = (server: RestartableServer) => storedLayers(server.dataDir);

beforeAll(async () => {
  [source, target] = await Promise.all([RestartableServer.start(), RestartableServer.start()]);
  const ids = await source.agentAndEnvironment();
  targetEnvironment = (await target.agentAndEnvironment()).environment;
  const file = await source.client.beta.files.upload({ file: new File(['raw data'], 'input.csv', { type: 'text/csv' }) });
  sourceSession = (await source.client.beta.sessions.create({ agent: ids.agent, environment_id: ids.environment, resources: [{ type: 'file', file_id: file.id }] } as never)).id;
  await run(source.client, sourceSession, `mkdir -p /workspace/out && cp /mnt/session/uploads/${file.id} /workspace/out/copy.csv && echo notes > ~/notes && echo ok`);
  await run(source.client, sourceSession, 'echo unsaved > /workspace/latest && echo ok');
  archive = await exportOf(source, sourceSession);
});
afterAll(async () => {
  await Promise.all([source?.close(), target?.close()]);
});

describe('export and import', () => {
  it('move a session to another machine with its log, files and workspace', async () => {
    const response = await importInto(target, archive);
    expect(response.status).toBe(200);
    const imported = (await response.json()) as { id: string; environment_id: string; resources: Array<{ type: string; file_id: string; mount_path: string }> };
    expect(imported.id).not.toBe(sourceSession);
    expect(imported.environment_id).toBe(targetEnvironment);
    const sourceHistory = [];
    for await (const e of source.client.beta.sessions.events.list(sourceSession)) sourceHistory.push(e as { id: string; type: string });
    const importedHistory = [];
    for await (const e of target.client.beta.sessions.events.list(imported.id)) importedHistory.push(e as { id: string; type: string });
    expect(importedHistory.map((e) => [e.id, e.type])).toEqual(sourceHistory.map((e) => [e.id, e.type]));
    expect(await run(target.client, imported.id, 'cat /workspace/out/copy.csv; echo; cat /workspace/latest ~/notes')).toBe('raw data\nunsaved\nnotes');
    expect(await run(target.client, imported.id, `cat /mnt/session/uploads/*`)).toBe('raw data');
    const list = await checkpoints(target.client, imported.id);
    expect(list.length).toBeGreaterThanOrEqual(3);
    // The model on the new machine is given the conversation the session had on the old one.
    await turn(target.client, imported.id, 'and now?');
    const request = JSON.stringify(target.modelRequests.at(-1)!.messages);
    expect(request).toContain('RUN: echo unsaved > /workspace/latest');
    expect(request).toContain('and now?');
  });

  it('reject hostile archives whole and keep nothing from them', async () => {
    const entries = parseTar(archive);
    const manifest = entries[0]!;
    expect(manifest.name).toBe('longhand-session.json');
    const layer = entries.find((e) => e.name.startsWith('layers/'))!;
    const evilLayerData = buildTar([{ name: 'workspace/escape', type: '2', data: Buffer.alloc(0), linkname: '/etc/shadow' }]);
    const evilLayerId = `sha256:${sha256(evilLayerData)}`;
    const withLayer = (m: Entry, id: string): Entry => {
      const value = JSON.parse(m.data.toString('utf8'));
      value.layers.push({ id, bytes: 0 });
      return { ...m, data: Buffer.from(JSON.stringify(value)) };
    };
    const cases: Record<string, Entry[]> = {
      'a byte changed in the log': entries.map((e) => (e.name === 'events.jsonl' ? { ...e, data: Buffer.from(e.data.toString('utf8').replace('"user.message"', '"user.messagE"')) } : e)),
      'an entry the manifest does not list': [...entries, { name: 'files/file_notlisted', type: '0', data: Buffer.from('x') }],
      'a symbolic link entry': [...entries, { name: 'events.jsonl.link', type: '2', data: Buffer.alloc(0), linkname: '/etc/passwd' }],
      'a path with ..': [...entries, { name: '../../etc/cron.d/evil', type: '0', data: Buffer.from('x') }],
      'an absolute path': [...entries, { name: '/etc/evil', type: '0', data: Buffer.from('x') }],
      'a hard link entry': [...entries, { name: 'hard', type: '1', data: Buffer.alloc(0), linkname: '/etc/shadow' }],
      'a missing layer': entries.filter((e) => e !== layer),
      'a layer whose content does not match its id': entries.map((e) => (e === layer ? { ...e, data: Buffer.concat([e.data.subarray(0, 600), Buffer.from('tampered'), e.data.subarray(608)]) } : e)),
      'a layer with a link leading out': [withLayer(manifest, evilLayerId), ...entries.slice(1), { name: `layers/${evilLayerId}.tar`, type: '0', data: evilLayerData }],
      'a truncated archive': [],
    };
    const before = { sessions: await sessionCount(target), layers: await layerCount(target) };
    for (const [name, hostile] of Object.entries(cases)) {
      const body = name === 'a truncated archive' ? archive.subarray(0, Math.floor(archive.length / 2)) : buildTar(hostile);
      const response = await importInto(target, body);
      expect(response.status, name).toBe(400);
      const error = (await response.json()) as { type: string; error: { type: string; message: string } };
      expect(error.type, name).toBe('error');
      expect(error.error.type, name).toBe('invalid_request_error');
      expect({ sessions: await sessionCount(target), layers: await layerCount(target) }, name).toEqual(before);
    }
  });
});
