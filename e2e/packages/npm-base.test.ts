import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNpmRegistry, type NpmRegistry } from './support/npm-registry.js';
import { PackageRig } from './support/package-rig.js';

let registry: NpmRegistry;
let rig: PackageRig;
beforeAll(async () => {
  registry = await startNpmRegistry([{ name: 'hello-longhand', version: '1.0.0', output: 'hello from npm' }]);
  rig = await PackageRig.start({ mirrors: { npm: registry.url } });
}, 120_000);
afterAll(async () => {
  await rig?.close();
  await registry?.close();
});

describe("an environment's npm packages", () => {
  let environment: string;
  let first: string;
  let second: string;

  it('are installed once, into a base both sessions start from', async () => {
    environment = await rig.environment({ npm: ['hello-longhand'] });
    [first, second] = [await rig.session(environment), await rig.session(environment)];
    // Both sessions want their sandbox at once: they wait for the one build.
    const outputs = await Promise.all([rig.run(first, 'hello-longhand'), rig.run(second, 'hello-longhand')]);
    expect(outputs).toEqual(['hello from npm', 'hello from npm']);
    expect(registry.downloads.get('hello-longhand')).toBe(1);
    expect(rig.builds).toBe(1);
    expect(await rig.run(second, 'command -v hello-longhand')).toBe('/home/agent/.local/bin/hello-longhand');
    // Caches and downloads stayed in the build's scratch space: the base holds the install only.
    expect(await rig.run(second, 'ls -A ~ ~/.local')).toBe('/home/agent:\n.local\n\n/home/agent/.local:\nbin\nlib');
  }, 180_000);

  it("keep each session's own files apart from the shared base", async () => {
    expect(await rig.run(first, 'echo mine > ~/note && rm ~/.local/bin/hello-longhand && echo done')).toBe('done');
    expect(await rig.run(second, 'cat ~/note 2>&1; hello-longhand')).toBe('cat: /home/agent/note: No such file or directory\nhello from npm');
    const third = await rig.session(environment);
    expect(await rig.run(third, 'hello-longhand')).toBe('hello from npm');
  }, 120_000);

  it('are not installed again after a restart', async () => {
    await rig.restart();
    const buildsBefore = rig.builds;
    const after = await rig.session(environment);
    expect(await rig.run(after, 'hello-longhand')).toBe('hello from npm');
    expect(rig.builds).toBe(buildsBefore);
    expect(registry.downloads.get('hello-longhand')).toBe(1);
  }, 120_000);

  it("leave the mirror unreachable from sessions' own sandboxes", async () => {
    const before = registry.requests.length;
    const output = await rig.run(first, `curl -sS --noproxy '' -x "$HTTP_PROXY" -o /dev/null -w '%{http_code}' ${registry.url}hello-longhand; echo " exit $?"`);
    expect(output).toMatch(/^403 exit 0$/);
    expect(rig.logs.some((line) => line.includes(`session ${first}: egress denied: 127.0.0.1 is loopback`))).toBe(true);
    expect(registry.requests.length).toBe(before);
  }, 60_000);
});
