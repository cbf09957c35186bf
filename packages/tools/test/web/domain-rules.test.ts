import { describe, expect, it } from 'vitest';
import { matchesDomain, refusal } from '../../src/web/domain-rules.js';

const url = (text: string) => new URL(text);

describe('matchesDomain', () => {
  it('covers the domain and its subdomains, not look-alikes', () => {
    expect(matchesDomain(url('https://example.com/'), 'example.com')).toBe(true);
    expect(matchesDomain(url('https://docs.example.com/a'), 'example.com')).toBe(true);
    expect(matchesDomain(url('https://notexample.com/'), 'example.com')).toBe(false);
    expect(matchesDomain(url('https://example.com.evil.test/'), 'example.com')).toBe(false);
  });

  it('ignores letter case, a trailing dot, a scheme, a port and a leading *.', () => {
    expect(matchesDomain(url('https://Docs.Example.COM./'), 'EXAMPLE.com')).toBe(true);
    expect(matchesDomain(url('http://example.com:8080/'), 'https://example.com')).toBe(true);
    expect(matchesDomain(url('https://a.example.com/'), '*.example.com')).toBe(true);
  });

  it('limits an entry with a path to that path and what is below it', () => {
    expect(matchesDomain(url('https://example.com/docs'), 'example.com/docs')).toBe(true);
    expect(matchesDomain(url('https://example.com/docs/intro'), 'example.com/docs/')).toBe(true);
    expect(matchesDomain(url('https://example.com/docsearch'), 'example.com/docs')).toBe(false);
    expect(matchesDomain(url('https://example.com/'), 'example.com/docs')).toBe(false);
  });

  it('matches internationalised domains written either way', () => {
    expect(matchesDomain(url('https://münchen.example/'), 'münchen.example')).toBe(true);
    expect(matchesDomain(url('https://xn--mnchen-3ya.example/'), 'münchen.example')).toBe(true);
  });
});

describe('refusal', () => {
  it('allows everything when no rules are set', () => {
    expect(refusal(url('https://any.test/'), {})).toBeUndefined();
    expect(refusal(url('https://any.test/'), { allowedDomains: null, blockedDomains: null })).toBeUndefined();
  });

  it('refuses blocked domains and says which rule applied', () => {
    expect(refusal(url('https://ads.tracker.test/'), { blockedDomains: ['tracker.test'] })).toMatch(/ads\.tracker\.test is blocked .*tracker\.test/);
  });

  it('refuses what is not allowed and lists what is', () => {
    const rules = { allowedDomains: ['example.com', 'docs.rs'] };
    expect(refusal(url('https://docs.rs/x'), rules)).toBeUndefined();
    expect(refusal(url('https://evil.test/'), rules)).toMatch(/evil\.test is not among .*example\.com, docs\.rs/);
  });
});
