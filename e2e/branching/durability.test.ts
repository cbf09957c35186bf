import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkpoints, fork, restore, run, storedLayers } from './support.js';
import { RestartableServer } from './restartable.js';

let server: RestartableServer;
let ids: { agent: string; environment: string };
beforeAll(async () => {
  server = await RestartableServer.start();
  ids = await server.agentAndEnvironment();
});
afterAll(async () => {
  await server?.close();
});

const session = async () => (await server.client.beta.sessions.create({ agent: ids.agent, environment_id: ids.environment })).id;

const layersOnDisk = () => storedLayers(server.dataDir);

describe('forks and restores across a restart', () => {
  it('keep their files, history and checkpoints', async () => {
    const parent = await session();
    await run(server.client, parent, 'echo base > /workspace/f && echo ok');
    const child = (await fork(server.client, parent)).id;
    await run(server.client, child, 'echo child > /workspace/f && echo ok');
    const [childCheckpoint] = await checkpoints(server.client, child);
    await run(server.client, child, 'echo later > /workspace/f && echo ok');
    await server.restart();
    expect(await run(server.client, parent, 'cat /workspace/f')).toBe('base');
    expect(await run(server.client, child, 'cat /workspace/f')).toBe('later');
    await restore(server.client, child, childCheckpoint!.id);
    expect(await run(server.client, child, 'cat /workspace/f')).toBe('child');
    await server.restart();
    expect(await run(server.client, child, 'cat /workspace/f')).toBe('child');
    const history = [];
    for await (const e of server.client.beta.sessions.events.list(child)) history.push(e as { type: string });
    expect(history.filter((e) => e.type === 'session.restored')).toHaveLength(1);
  });
});

describe('garbage collection', () => {
  it('frees what deleted sessions alone held and keeps every layer a fork of a fork still needs', async () => {
    const a = await session();
    await run(server.client, a, 'echo from-a > /workspace/a && echo ok');
    const b = (await fork(server.client, a)).id;
    await run(server.client, b, 'echo from-b > /workspace/b && echo ok');
    const c = (await fork(server.client, b)).id;
    await run(server.client, c, 'echo from-c > /workspace/c && echo ok');
    const scratch = await session();
    await run(server.client, scratch, 'head -c 50000 /dev/urandom > /workspace/junk && echo ok');
    const before = await layersOnDisk();
    await server.client.beta.sessions.delete(scratch);
    expect(await layersOnDisk()).toBeLessThan(before);
    await server.client.beta.sessions.delete(a);
    await server.client.beta.sessions.delete(b);
    // c stands on layers a and b made: all still there.
    expect(await run(server.client, c, 'cat /workspace/a /workspace/b /workspace/c')).toBe('from-a\nfrom-b\nfrom-c');
    await server.restart();
    expect(await run(server.client, c, 'cat /workspace/a /workspace/b /workspace/c')).toBe('from-a\nfrom-b\nfrom-c');
  });
});
