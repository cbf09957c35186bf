import { describe, expect, it } from 'vitest';
import { formatIp, inPrefix, parseHost, parseIpLiteral } from '../../src/network/ip-literal.js';

/** The canonical text of what `input` parses to, or undefined when it is not an IP literal. */
function canonical(input: string): string | undefined {
  const address = parseIpLiteral(input);
  return address && formatIp(address);
}

describe('IPv4 literals', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['2130706433', '127.0.0.1'],
    ['0x7f000001', '127.0.0.1'],
    ['0X7F000001', '127.0.0.1'],
    ['017700000001', '127.0.0.1'],
    ['0177.0.0.1', '127.0.0.1'],
    ['0177.0000.0000.0001', '127.0.0.1'],
    ['0x7f.0.0.1', '127.0.0.1'],
    ['0x7f.1', '127.0.0.1'],
    ['127.1', '127.0.0.1'],
    ['127.0.1', '127.0.0.1'],
    ['0x7f.0x0.0x0.0x1', '127.0.0.1'],
    ['0x00000000007f.1', '127.0.0.1'],
    ['0', '0.0.0.0'],
    ['0x', '0.0.0.0'],
    ['2852039166', '169.254.169.254'],
    ['0xa9fea9fe', '169.254.169.254'],
    ['0251.0376.0251.0376', '169.254.169.254'],
    ['169.254.43518', '169.254.169.254'],
    ['169.16689662', '169.254.169.254'],
    ['0xa9.254.0251.0xfe', '169.254.169.254'],
    ['10.0.0.1.', '10.0.0.1'],
    ['4294967295', '255.255.255.255'],
  ])('reads %s as %s', (input, expected) => {
    expect(canonical(input)).toBe(expected);
  });

  it.each([
    ['4294967296', 'a single number above 32 bits'],
    ['256.0.0.1', 'a part above 255 before the last'],
    ['1.2.3.256', 'a last part too large for its one byte'],
    ['1.2.65536', 'a last part too large for its two bytes'],
    ['1.2.3.4.5', 'five parts'],
    ['1..2.3', 'an empty part'],
    ['08.0.0.1', 'an invalid octal part'],
    ['0x1g.0.0.1', 'an invalid hex part'],
    ['99999999999999999999999', 'a number far beyond 32 bits'],
    ['1.2.3.4..', 'two trailing dots'],
    [' 127.0.0.1', 'surrounding whitespace'],
  ])('rejects %s (%s)', (input) => {
    expect(parseIpLiteral(input)).toBeUndefined();
    expect(parseHost(input).kind).toBe('invalid');
  });
});

describe('IPv6 literals', () => {
  it.each([
    ['::1', '::1'],
    ['[::1]', '::1'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['::', '::'],
    ['[::]', '::'],
    ['::ffff:127.0.0.1', '::ffff:7f00:1'],
    ['::ffff:7f00:1', '::ffff:7f00:1'],
    ['[::FFFF:7F00:0001]', '::ffff:7f00:1'],
    ['0:0:0:0:0:ffff:127.0.0.1', '::ffff:7f00:1'],
    ['::127.0.0.1', '::7f00:1'],
    ['64:ff9b::169.254.169.254', '64:ff9b::a9fe:a9fe'],
    ['2002:a9fe:a9fe::1', '2002:a9fe:a9fe::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['1::', '1::'],
    ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'],
    ['fe80::1%eth0', 'fe80::1'],
    ['[fe80::1%25eth0]', 'fe80::1'],
  ])('reads %s as %s', (input, expected) => {
    expect(canonical(input)).toBe(expected);
  });

  it('keeps the zone id, URL-encoded or not', () => {
    expect(parseIpLiteral('fe80::1%eth0')?.zone).toBe('eth0');
    expect(parseIpLiteral('[fe80::1%25eth0]')?.zone).toBe('eth0');
    expect(parseIpLiteral('[fe80::1%eth0]')?.zone).toBe('eth0');
    expect(parseIpLiteral('::1')?.zone).toBeUndefined();
  });

  it.each([
    ':::1',
    '1::2::3',
    ':1::',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7',
    '1:2:3:4:5:6:7:8::',
    '12345::1',
    '::ffff:1.2.3',
    '::ffff:1.2.3.4.',
    '::ffff:01.2.3.4',
    '::ffff:256.0.0.1',
    '1.2.3.4::',
    '::1.2.3.4:1',
    '[::1',
    '::1]',
    'fe80::1%',
    'fe80::1%e/th0',
    '[127.0.0.1]',
  ])('rejects %s', (input) => {
    expect(parseIpLiteral(input)).toBeUndefined();
    expect(parseHost(input).kind).toBe('invalid');
  });
});

describe('host names', () => {
  it('lower-cases names and drops one trailing dot', () => {
    expect(parseHost('Example.COM.')).toEqual({ kind: 'name', name: 'example.com' });
  });

  it('treats a host whose last label is numeric as an IPv4 literal or invalid, never as a name', () => {
    expect(parseHost('foo.123').kind).toBe('invalid');
    expect(parseHost('foo.0x10').kind).toBe('invalid');
    expect(parseHost('123.foo')).toEqual({ kind: 'name', name: '123.foo' });
  });

  it.each(['exa mple.com', 'a..b', '-a.com', 'a-.com', 'a.com:80', 'a/b', '', '.', `${'a'.repeat(64)}.com`, 'ex\u0000ample.com'])(
    'rejects %j',
    (input) => {
      expect(parseHost(input).kind).toBe('invalid');
    },
  );

  it('accepts underscores and 63-character labels', () => {
    expect(parseHost(`_dmarc.${'a'.repeat(63)}.com`).kind).toBe('name');
  });
});

describe('prefix matching', () => {
  it('compares whole and partial bytes', () => {
    const net = parseIpLiteral('172.16.0.0')!;
    expect(inPrefix(parseIpLiteral('172.31.255.255')!, net, 12)).toBe(true);
    expect(inPrefix(parseIpLiteral('172.32.0.0')!, net, 12)).toBe(false);
    expect(inPrefix(parseIpLiteral('::ffff:172.16.0.1')!, net, 12)).toBe(false);
  });
});
