import { describe, expect, it } from 'vitest';
import { classifyAddress, describeAddressClass, isPublicAddress, unmapAddress } from '../../src/network/address-class.js';
import { formatIp, parseIpLiteral } from '../../src/network/ip-literal.js';

function classOf(literal: string): string {
  const address = parseIpLiteral(literal);
  if (!address) throw new Error(`test literal ${literal} does not parse`);
  return classifyAddress(address).category;
}

describe('IPv4 classification', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.0.1', 'link_local'],
    ['169.254.169.254', 'metadata'],
    ['169.254.170.2', 'metadata'],
    ['100.100.100.200', 'metadata'],
    ['168.63.129.16', 'metadata'],
    ['100.64.0.1', 'cgnat'],
    ['100.127.255.255', 'cgnat'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved'],
    ['192.0.0.8', 'reserved'],
    ['192.0.2.1', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['198.51.100.1', 'reserved'],
    ['203.0.113.1', 'reserved'],
    ['192.88.99.1', 'reserved'],
  ])('%s is %s', (literal, category) => {
    expect(classOf(literal)).toBe(category);
  });

  it.each(['1.2.3.4', '8.8.8.8', '172.15.255.255', '172.32.0.0', '100.63.255.255', '100.128.0.0', '169.253.255.255', '223.255.255.255', '11.0.0.1'])(
    '%s is public',
    (literal) => {
      expect(classOf(literal)).toBe('public');
    },
  );

  it.each([
    ['2130706433', 'loopback'],
    ['0x7f.1', 'loopback'],
    ['0177.0.0.1', 'loopback'],
    ['127.1', 'loopback'],
    ['0', 'unspecified'],
    ['2852039166', 'metadata'],
    ['0xa9fea9fe', 'metadata'],
    ['0251.0376.0251.0376', 'metadata'],
    ['167772161', 'private'],
    ['0xc0.0xa8.1', 'private'],
  ])('the non-dotted-quad notation %s is still %s', (literal, category) => {
    expect(classOf(literal)).toBe(category);
  });
});

describe('IPv6 classification', () => {
  it.each([
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fc00::1', 'private'],
    ['fd12:3456::1', 'private'],
    ['fd00:ec2::254', 'metadata'],
    ['fe80::1', 'link_local'],
    ['febf::1', 'link_local'],
    ['fec0::1', 'private'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'reserved'],
    ['3fff::1', 'reserved'],
    ['2001::1', 'reserved'],
    ['2001:2::1', 'reserved'],
    ['100::1', 'reserved'],
    ['64:ff9b:1::1', 'reserved'],
    ['4000::1', 'reserved'],
    ['1::1', 'reserved'],
  ])('%s is %s', (literal, category) => {
    expect(classOf(literal)).toBe(category);
  });

  it.each(['2606:4700::1111', '2a00:1450:4001::1', '2001:4860:4860::8888'])('%s is public', (literal) => {
    expect(classOf(literal)).toBe('public');
  });

  it.each([
    ['::ffff:127.0.0.1', 'loopback', 'IPv4-mapped'],
    ['::ffff:7f00:1', 'loopback', 'IPv4-mapped'],
    ['::ffff:169.254.169.254', 'metadata', 'IPv4-mapped'],
    ['::ffff:a9fe:a9fe', 'metadata', 'IPv4-mapped'],
    ['::ffff:10.0.0.1', 'private', 'IPv4-mapped'],
    ['::ffff:0:127.0.0.1', 'loopback', 'IPv4-translated'],
    ['::127.0.0.1', 'loopback', 'IPv4-compatible'],
    ['::7f00:1', 'loopback', 'IPv4-compatible'],
    ['::8.8.8.8', 'reserved', 'IPv4-compatible'],
    ['64:ff9b::127.0.0.1', 'loopback', 'NAT64'],
    ['64:ff9b::a9fe:a9fe', 'metadata', 'NAT64'],
    ['64:ff9b::10.1.2.3', 'private', 'NAT64'],
    ['2002:7f00:1::1', 'loopback', '6to4'],
    ['2002:a9fe:a9fe::1', 'metadata', '6to4'],
    ['2002:c0a8:0101::1', 'private', '6to4'],
    ['2002:6440:1::', 'cgnat', '6to4'],
  ])('%s carries an IPv4 address and is %s (%s)', (literal, category, form) => {
    const cls = classifyAddress(parseIpLiteral(literal)!);
    expect(cls.category).toBe(category);
    expect(cls.embedded?.form).toBe(form);
  });

  it('judges IPv6 forms of public IPv4 addresses as public, except the deprecated compatible form', () => {
    expect(classOf('::ffff:8.8.8.8')).toBe('public');
    expect(classOf('64:ff9b::8.8.8.8')).toBe('public');
    expect(classOf('2002:808:808::1')).toBe('public');
    expect(classOf('::8.8.8.8')).toBe('reserved');
  });

  it('classifies the address behind a zone id like any other', () => {
    expect(classOf('fe80::1%eth0')).toBe('link_local');
  });
});

describe('helpers', () => {
  it('says what an address is, naming the embedded IPv4 address', () => {
    const mapped = parseIpLiteral('::ffff:7f00:1')!;
    expect(describeAddressClass(mapped, classifyAddress(mapped))).toBe(
      '::ffff:7f00:1 is the IPv4-mapped form of 127.0.0.1, which is loopback [127.0.0.0/8]',
    );
    const metadata = parseIpLiteral('169.254.169.254')!;
    expect(describeAddressClass(metadata, classifyAddress(metadata))).toBe(
      '169.254.169.254 is the cloud metadata service [169.254.169.254/32]',
    );
  });

  it('unmaps IPv4-mapped addresses and leaves every other address alone', () => {
    expect(formatIp(unmapAddress(parseIpLiteral('::ffff:1.2.3.4')!))).toBe('1.2.3.4');
    expect(formatIp(unmapAddress(parseIpLiteral('64:ff9b::1.2.3.4')!))).toBe('64:ff9b::102:304');
    expect(formatIp(unmapAddress(parseIpLiteral('1.2.3.4')!))).toBe('1.2.3.4');
  });

  it('isPublicAddress agrees with the category', () => {
    expect(isPublicAddress(parseIpLiteral('1.1.1.1')!)).toBe(true);
    expect(isPublicAddress(parseIpLiteral('::ffff:127.0.0.1')!)).toBe(false);
  });
});
