import { describe, expect, it } from 'vitest';
import { mirrorOrigins, parsePackageMirrors, splitMirrorList } from '../../../src/hands/packages/package-mirrors.js';

describe('parsePackageMirrors', () => {
  it('reads one URL per manager and any number of apt source lines', () => {
    const mirrors = parsePackageMirrors([
      'npm=http://127.0.0.1:4873',
      ' pip = https://pypi.internal/simple/ ',
      'apt=deb [trusted=yes] http://10.0.0.5:8080/ ./',
      'apt=deb   http://10.0.0.6/debian bookworm main contrib',
      'cargo=sparse+http://10.0.0.7/index/',
    ]);
    expect(mirrors).toEqual({
      npm: 'http://127.0.0.1:4873/',
      pip: 'https://pypi.internal/simple/',
      apt: ['deb [trusted=yes] http://10.0.0.5:8080/ ./', 'deb http://10.0.0.6/debian bookworm main contrib'],
      cargo: 'http://10.0.0.7/index/',
    });
  });

  it.each([
    ['yarn=http://x/', /manager among apt, cargo, gem, go, npm, pip/],
    ['http://x/', /expected <manager>=<url>/],
    ['npm=ftp://x/', /only http:\/\/ and https:\/\//],
    ['npm=not a url', /is not a URL/],
    ['npm=http://user:secret@10.0.0.5/', /must not carry credentials/],
    ['apt=http://10.0.0.5/debian', /source line/],
    ['apt=deb http://10.0.0.5/debian', /source line/],
  ])('refuses %j', (entry, why) => {
    expect(() => parsePackageMirrors([entry])).toThrow(why);
  });

  it('refuses two mirrors for one manager', () => {
    expect(() => parsePackageMirrors(['npm=http://a/', 'npm=http://b/'])).toThrow(/npm has a mirror already/);
  });
});

describe('splitMirrorList', () => {
  it('splits LONGHAND_PACKAGE_MIRRORS on semicolons and newlines', () => {
    expect(splitMirrorList('npm=http://a/; apt=deb [arch=amd64,i386] http://b/ ./\n\npip=http://c/')).toEqual(['npm=http://a/', 'apt=deb [arch=amd64,i386] http://b/ ./', 'pip=http://c/']);
    expect(splitMirrorList(undefined)).toEqual([]);
  });
});

describe('mirrorOrigins', () => {
  it('are the exact host and port of every mirror, defaults filled in, without repeats', () => {
    const mirrors = parsePackageMirrors(['npm=http://127.0.0.1:4873/', 'pip=https://pypi.internal/simple/', 'go=http://127.0.0.1:4873/go/', 'apt=deb http://[fd00::5]/debian bookworm main']);
    expect(mirrorOrigins(mirrors)).toEqual([
      { host: '[fd00::5]', port: 80 },
      { host: '127.0.0.1', port: 4873 },
      { host: 'pypi.internal', port: 443 },
    ]);
  });
});
