import { describe, expect, it } from 'vitest';
import { APT_SCRIPT, aptInstall, defaultAptSources } from '../../../src/hands/packages/apt-install.js';

describe('aptInstall', () => {
  const target = { home: '/home/agent', sources: ['deb [trusted=yes] http://127.0.0.1:8080/ ./', 'deb http://10.0.0.5/debian bookworm main'], status: 'Package: bash\n' };

  it('runs the fixed script with the names as its arguments, the host database on stdin', () => {
    const command = aptInstall(['jq', 'libssl3'], target);
    expect(command.argv).toEqual(['bash', '-c', APT_SCRIPT, 'longhand-apt', 'jq', 'libssl3']);
    expect(command.env).toEqual({
      LONGHAND_APT_WORK: '/tmp/longhand-packages/apt',
      LONGHAND_APT_ROOT: '/home/agent/.apt',
      LONGHAND_APT_SOURCES: 'deb [trusted=yes] http://127.0.0.1:8080/ ./\ndeb http://10.0.0.5/debian bookworm main',
    });
    expect(command.stdin).toBe('Package: bash\n');
  });

  it('gives apt-get private state and cache directories, the proxy, and unpacks with dpkg-deb', () => {
    for (const option of ['Dir::Etc=$work/etc', 'Dir::State::Lists=$work/lists', 'Dir::State::status=$work/status', 'Dir::Cache::archives=$work/archives', 'Debug::NoLocking=1', 'Acquire::http::Proxy=$HTTP_PROXY']) {
      expect(APT_SCRIPT).toContain(option);
    }
    expect(APT_SCRIPT).toContain('install --download-only -- "$@"');
    expect(APT_SCRIPT).toContain('dpkg-deb -x "$deb" "$LONGHAND_APT_ROOT"');
    // Nothing of the arguments is ever part of the script's text.
    expect(APT_SCRIPT).not.toMatch(/jq|libssl3/);
  });
});

describe('defaultAptSources', () => {
  it("are the host release's Debian archives, signed by the archive keyring", () => {
    expect(defaultAptSources('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_CODENAME=bookworm\n')).toEqual([
      'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm main',
      'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm-updates main',
      'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian-security bookworm-security main',
    ]);
  });

  it("are Ubuntu's for Ubuntu, and unknown elsewhere", () => {
    expect(defaultAptSources('ID=ubuntu\nVERSION_CODENAME="noble"\n')?.[0]).toBe('deb [signed-by=/usr/share/keyrings/ubuntu-archive-keyring.gpg] http://archive.ubuntu.com/ubuntu noble main universe');
    expect(defaultAptSources('ID=fedora\nVERSION_ID=40\n')).toBeUndefined();
    expect(defaultAptSources('ID=debian\n')).toBeUndefined();
  });
});
