import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAptRepository, type AptRepository } from './support/apt-repository.js';
import { PackageRig } from './support/package-rig.js';

let repository: AptRepository;
let rig: PackageRig;
beforeAll(async () => {
  repository = await startAptRepository([
    // bash is on the host (so in every sandbox's read-only system): apt must not fetch it.
    { name: 'hello-longhand-apt', version: '1.0', command: 'hello-longhand-apt', output: 'hello from apt', depends: 'bash, hello-longhand-lib (>= 1.0)' },
    { name: 'hello-longhand-lib', version: '1.2', command: 'hello-longhand-lib', output: 'a dependency' },
  ]);
  rig = await PackageRig.start({ mirrors: { apt: [repository.source] } });
}, 120_000);
afterAll(async () => {
  await rig?.close();
  await repository?.close();
});

describe("an environment's apt packages", () => {
  it('are downloaded and unpacked into the home directory, with no root', async () => {
    const environment = await rig.environment({ apt: ['hello-longhand-apt'] }, { type: 'limited', allow_package_managers: true });
    const session = await rig.session(environment);
    expect(await rig.run(session, 'hello-longhand-apt')).toBe('hello from apt');
    expect(await rig.run(session, 'command -v hello-longhand-apt')).toBe('/home/agent/.apt/usr/bin/hello-longhand-apt');
    // The system stayed as it was: read-only, and without the package.
    expect(await rig.run(session, 'test -e /usr/bin/hello-longhand-apt; echo $?')).toBe('1');
    expect(await rig.run(session, 'hello-longhand-lib')).toBe('a dependency');
    expect(Object.fromEntries(repository.downloads)).toEqual({ 'hello-longhand-apt': 1, 'hello-longhand-lib': 1 });
    const other = await rig.session(environment);
    expect(await rig.run(other, 'hello-longhand-apt')).toBe('hello from apt');
    expect(repository.downloads.get('hello-longhand-apt')).toBe(1);
  }, 180_000);
});
