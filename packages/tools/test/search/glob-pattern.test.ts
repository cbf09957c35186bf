import { describe, expect, it } from 'vitest';
import { GlobPatternError, compileGlob, expandBraces, patternAscends, splitLiteralPrefix } from '../../src/search/glob-pattern.js';

function matches(pattern: string, paths: string[]): string[] {
  const re = compileGlob(pattern);
  return paths.filter((path) => re.test(path));
}

const TREE = ['a.ts', 'b.js', 'src/c.ts', 'src/deep/d.ts', 'src/deep/e.tsx', '.hidden.ts', 'src/.cache/f.ts', '.github/workflows/ci.yml', 'docs/readme.md'];

describe('compileGlob', () => {
  it('matches * within one directory only', () => {
    expect(matches('*.ts', TREE)).toEqual(['a.ts']);
    expect(matches('src/*.ts', TREE)).toEqual(['src/c.ts']);
  });

  it('matches ** across any number of directories, including none', () => {
    expect(matches('**/*.ts', TREE)).toEqual(['a.ts', 'src/c.ts', 'src/deep/d.ts']);
    expect(matches('src/**/*.ts', TREE)).toEqual(['src/c.ts', 'src/deep/d.ts']);
    expect(matches('src/**', TREE)).toEqual(['src/c.ts', 'src/deep/d.ts', 'src/deep/e.tsx']);
  });

  it('does not let wildcards match a leading dot unless the pattern has one', () => {
    expect(matches('**/*', TREE)).not.toContain('.hidden.ts');
    expect(matches('**/*', TREE)).not.toContain('src/.cache/f.ts');
    expect(matches('.*.ts', TREE)).toEqual(['.hidden.ts']);
    expect(matches('.github/**/*.yml', TREE)).toEqual(['.github/workflows/ci.yml']);
    expect(matches('src/.cache/*', TREE)).toEqual(['src/.cache/f.ts']);
  });

  it('supports ?, character classes, negated classes and alternatives', () => {
    expect(matches('?.ts', TREE)).toEqual(['a.ts']);
    expect(matches('[ab].*', TREE)).toEqual(['a.ts', 'b.js']);
    expect(matches('[!a].*', TREE)).toEqual(['b.js']);
    expect(matches('**/*.{ts,tsx}', TREE)).toEqual(['a.ts', 'src/c.ts', 'src/deep/d.ts', 'src/deep/e.tsx']);
    expect(matches('{docs,src/deep}/*', TREE)).toEqual(['src/deep/d.ts', 'src/deep/e.tsx', 'docs/readme.md']);
  });

  it('treats regex characters and escapes literally', () => {
    expect(compileGlob('a+b(1).txt').test('a+b(1).txt')).toBe(true);
    expect(compileGlob('a+b(1).txt').test('aab1.txt')).toBe(false);
    expect(compileGlob('\\*.md').test('*.md')).toBe(true);
    expect(compileGlob('\\*.md').test('x.md')).toBe(false);
    expect(compileGlob('[[]x].md').test('[x].md')).toBe(true);
    expect(compileGlob('[[]x].md').test('x].md')).toBe(false);
    expect(compileGlob('[]]x').test(']x')).toBe(true);
  });

  it('leaves an unclosed [ literal', () => {
    expect(compileGlob('a[b').test('a[b')).toBe(true);
  });

  it('matches unicode names character by character', () => {
    expect(compileGlob('?.txt').test('日.txt')).toBe(true);
    expect(compileGlob('?.txt').test('😀.txt')).toBe(true);
    expect(compileGlob('données/*.csv').test('données/a.csv')).toBe(true);
  });

  it('refuses a malformed range and a runaway brace expansion', () => {
    expect(() => compileGlob('[z-a]')).toThrow(GlobPatternError);
    expect(() => compileGlob('{a,b}{c,d}{e,f}{g,h}{i,j}{k,l}{m,n}{o,p}{q,r}{s,t}{u,v}')).toThrow(/more than 1024/);
  });
});

describe('expandBraces', () => {
  it('expands nested groups and keeps groups without a comma literal', () => {
    expect(expandBraces('a{b,c{d,e}}f')).toEqual(['abf', 'acdf', 'acef']);
    expect(expandBraces('a{b}c')).toEqual(['a{b}c']);
    expect(expandBraces('a{b,c')).toEqual(['a{b,c']);
  });
});

describe('splitLiteralPrefix', () => {
  it('separates the literal directories a pattern starts with', () => {
    expect(splitLiteralPrefix('src/lib/**/*.ts')).toEqual({ prefix: 'src/lib', rest: '**/*.ts' });
    expect(splitLiteralPrefix('*.ts')).toEqual({ prefix: '', rest: '*.ts' });
    expect(splitLiteralPrefix('src/a.ts')).toEqual({ prefix: 'src', rest: 'a.ts' });
    expect(splitLiteralPrefix('/workspace/src/**/*.ts')).toEqual({ prefix: '/workspace/src', rest: '**/*.ts' });
    expect(splitLiteralPrefix('{a,b}/*.ts')).toEqual({ prefix: '', rest: '{a,b}/*.ts' });
  });
});

describe('patternAscends', () => {
  it('finds .. in any alternative', () => {
    expect(patternAscends('../*.ts')).toBe(true);
    expect(patternAscends('src/{a,..}/x')).toBe(true);
    expect(patternAscends('src/..foo/*.ts')).toBe(false);
  });
});
