import { describe, expect, it } from 'vitest';
import { stripHopByHop } from '../../src/network/hop-by-hop.js';

describe('stripHopByHop', () => {
  it('drops hop-by-hop and Proxy-* headers and keeps the rest', () => {
    const out = stripHopByHop({
      connection: 'keep-alive',
      'keep-alive': 'timeout=5',
      'proxy-authorization': 'Basic c2VjcmV0',
      'proxy-connection': 'keep-alive',
      'proxy-anything': 'x',
      te: 'trailers',
      trailer: 'x-checksum',
      'transfer-encoding': 'chunked',
      upgrade: 'websocket',
      expect: '100-continue',
      accept: 'text/html',
      'set-cookie': ['a=1', 'b=2'],
      authorization: 'Bearer kept-for-the-destination',
    });
    expect(out).toEqual({ accept: 'text/html', 'set-cookie': ['a=1', 'b=2'], authorization: 'Bearer kept-for-the-destination' });
  });

  it('drops every header the Connection header names, in any case', () => {
    expect(stripHopByHop({ connection: 'close, X-Trace ,x-debug', 'x-trace': '1', 'x-debug': '2', 'x-kept': '3' })).toEqual({ 'x-kept': '3' });
  });
});
