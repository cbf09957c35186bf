import { describe, expect, it } from 'vitest';
import { npmInstall } from '../../../src/hands/packages/npm-install.js';

describe('npmInstall', () => {
  it('installs globally into ~/.local, with the cache in scratch space and names after --', () => {
    const command = npmInstall(['typescript@5', '@types/node'], { home: '/home/agent' });
    expect(command.argv).toEqual([
      'npm', 'install', '--global', '--prefix', '/home/agent/.local', '--cache', '/tmp/longhand-packages/npm-cache',
      '--no-audit', '--no-fund', '--no-update-notifier', '--', 'typescript@5', '@types/node',
    ]);
    expect(command.env).toEqual({});
    expect(command.probe).toEqual(['npm', '--version']);
  });

  it('uses the mirror as its registry', () => {
    const command = npmInstall(['left-pad'], { home: '/home/agent', mirror: 'http://10.0.0.5:4873/' });
    expect(command.argv.slice(command.argv.indexOf('--registry'), command.argv.indexOf('--') + 2)).toEqual(['--registry', 'http://10.0.0.5:4873/', '--', 'left-pad']);
  });
});
