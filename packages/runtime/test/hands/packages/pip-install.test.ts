import { describe, expect, it } from 'vitest';
import { pipInstall } from '../../../src/hands/packages/pip-install.js';

describe('pipInstall', () => {
  it('installs for the user with python3 -m pip, allowed past PEP 668 by the environment', () => {
    const command = pipInstall(['pandas==2.0.0', 'requests[socks]'], { home: '/home/agent' });
    expect(command.argv).toEqual([
      'python3', '-m', 'pip', 'install', '--user', '--no-cache-dir', '--no-warn-script-location', '--disable-pip-version-check',
      '--progress-bar', 'off', '--', 'pandas==2.0.0', 'requests[socks]',
    ]);
    expect(command.env).toEqual({ PIP_BREAK_SYSTEM_PACKAGES: '1' });
    expect(command.probe).toEqual(['python3', '-m', 'pip', '--version']);
    expect(command.missing).toMatch(/^pip is not installed in the sandbox image/);
  });

  it('uses the mirror as its index, trusting it when it is plain http', () => {
    const plain = pipInstall(['x'], { home: '/h', mirror: 'http://10.0.0.5:8081/simple/' });
    expect(plain.argv).toContain('--trusted-host');
    expect(plain.argv.slice(-6)).toEqual(['--index-url', 'http://10.0.0.5:8081/simple/', '--trusted-host', '10.0.0.5:8081', '--', 'x']);
    const tls = pipInstall(['x'], { home: '/h', mirror: 'https://pypi.internal/simple/' });
    expect(tls.argv.slice(-4)).toEqual(['--index-url', 'https://pypi.internal/simple/', '--', 'x']);
  });
});
