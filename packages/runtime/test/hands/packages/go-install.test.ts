import { describe, expect, it } from 'vitest';
import { goInstall } from '../../../src/hands/packages/go-install.js';

describe('goInstall', () => {
  it('builds commands into ~/.local/bin, a bare path meaning @latest, caches in scratch space', () => {
    const command = goInstall(['golang.org/x/tools/cmd/goimports', 'github.com/go-delve/delve/cmd/dlv@v1.22.0'], { home: '/home/agent' });
    expect(command.argv).toEqual(['go', 'install', '--', 'golang.org/x/tools/cmd/goimports@latest', 'github.com/go-delve/delve/cmd/dlv@v1.22.0']);
    expect(command.env).toEqual({
      GOPATH: '/tmp/longhand-packages/go',
      GOBIN: '/home/agent/.local/bin',
      GOMODCACHE: '/tmp/longhand-packages/go/mod',
      GOCACHE: '/tmp/longhand-packages/go/cache',
      GOFLAGS: '-modcacherw',
      GOTOOLCHAIN: 'local',
    });
    expect(command.probe).toEqual(['go', 'version']);
  });

  it('uses the mirror as its GOPROXY', () => {
    expect(goInstall(['example.com/cmd/x'], { home: '/h', mirror: 'http://10.0.0.5/goproxy/' }).env.GOPROXY).toBe('http://10.0.0.5/goproxy/');
  });
});
