import { describe, expect, it } from 'vitest';
import { packageSpecifierProblem } from '../../src/environments/package-specifiers.js';

describe('packageSpecifierProblem', () => {
  it.each([
    ['npm', 'left-pad'], ['npm', '@types/node@20.1.0'], ['npm', 'typescript@^5.4.0'], ['npm', 'JSONStream'],
    ['pip', 'pandas==2.0.0'], ['pip', 'requests[socks,security]>=2.0,<3'], ['pip', 'zope.interface'],
    ['apt', 'g++'], ['apt', 'libc6:amd64'], ['apt', 'python3.11=3.11.2-6+deb12u1'], ['apt', 'jq/bookworm-backports'],
    ['cargo', 'ripgrep@13.0.0'], ['gem', 'rake:13.0.6'], ['go', 'golang.org/x/tools/...@v0.20.0'],
  ] as const)('accepts %s %s', (manager, name) => {
    expect(packageSpecifierProblem(manager, name)).toBeUndefined();
  });

  it.each([
    ['npm', '', 'is empty'],
    ['npm', '-g', 'starts with "-"'],
    ['pip', 'a b', 'contains whitespace'],
    ['pip', 'x\t', 'contains whitespace'],
    ['npm', 'https://example.com/x.tgz', 'is a URL'],
    ['npm', 'file:../x', 'is not a valid npm package specifier'],
    ['npm', 'github:user/repo', 'is not a valid npm package specifier'],
    ['pip', 'x @ https://example.com/x.whl', 'contains whitespace'],
    ['pip', '/tmp/x.whl', 'is not a valid pip package specifier'],
    ['apt', 'x', 'is not a valid apt package specifier'],
    ['apt', 'curl-', 'is not a valid apt package specifier'],
    ['apt', 'cur*', 'is not a valid apt package specifier'],
    ['go', '../x', 'is not a valid go package specifier'],
    ['gem', 'x;y', 'is not a valid gem package specifier'],
    ['cargo', '1password', 'is not a valid cargo package specifier'],
    ['npm', 'x'.repeat(215), 'is longer than 214 characters'],
  ] as const)('refuses %s %j: it %s', (manager, name, why) => {
    expect(packageSpecifierProblem(manager, name)).toContain(why);
  });
});
