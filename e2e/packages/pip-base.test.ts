import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PackageRig } from './support/package-rig.js';
import { startPipIndex, type PipIndex } from './support/pip-index.js';

let index: PipIndex;
let rig: PackageRig;
beforeAll(async () => {
  index = await startPipIndex([{ name: 'hello-longhand-py', version: '1.0', output: 'hello from pip' }]);
  rig = await PackageRig.start({ mirrors: { pip: index.url } });
}, 120_000);
afterAll(async () => {
  await rig?.close();
  await index?.close();
});

describe("an environment's pip packages", () => {
  it("are installed for the sandbox's user, importable and on PATH", async () => {
    const environment = await rig.environment({ pip: ['hello-longhand-py==1.0'] });
    const session = await rig.session(environment);
    expect(await rig.run(session, 'hello-longhand-py && python3 -c "import hello_longhand_py; hello_longhand_py.main()"')).toBe('hello from pip\nhello from pip');
    expect(await rig.run(session, 'command -v hello-longhand-py')).toBe('/home/agent/.local/bin/hello-longhand-py');
    expect(index.downloads.get('hello-longhand-py')).toBe(1);
  }, 180_000);
});
