import { describe, expect, it } from 'vitest';
import { EMPTY_SHA256, sha256Hex, signRequest, uriEncode } from '../../src/objects/s3/s3-signer.js';

// The worked examples of AWS's "Signature Calculations for the Authorization Header:
// Transferring Payload in a Single Chunk (AWS Signature Version 4)" for Amazon S3: bucket
// `examplebucket` in us-east-1, signed at 2013-05-24T00:00:00Z with the documentation's example
// key. The expected hashes and signatures are the documentation's own.
const credentials = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
const date = new Date('2013-05-24T00:00:00Z');
const region = 'us-east-1';
const host = 'https://examplebucket.s3.amazonaws.com';

describe('the SigV4 signer reproduces the AWS S3 documentation examples', () => {
  it('GET Object (with a Range header)', () => {
    const signed = signRequest({ method: 'GET', url: new URL(`${host}/test.txt`), headers: { Range: 'bytes=0-9' }, payloadHash: EMPTY_SHA256, credentials, region, date });
    expect(sha256Hex(signed.canonicalRequest)).toBe('7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972');
    expect(signed.signature).toBe('f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41');
    expect(signed.headers.authorization).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
    );
  });

  it('PUT Object (a key that needs encoding, a signed body, a storage class)', () => {
    const body = 'Welcome to Amazon S3.';
    const payloadHash = sha256Hex(body);
    expect(payloadHash).toBe('44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072');
    const url = new URL(host);
    url.pathname = `/${uriEncode('test$file.text')}`;
    const signed = signRequest({
      method: 'PUT',
      url,
      headers: { Date: 'Fri, 24 May 2013 00:00:00 GMT', 'x-amz-storage-class': 'REDUCED_REDUNDANCY' },
      payloadHash,
      credentials,
      region,
      date,
    });
    expect(signed.canonicalRequest.split('\n')[1]).toBe('/test%24file.text');
    expect(signed.stringToSign.split('\n')[3]).toBe('9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d');
    expect(signed.signature).toBe('98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd');
  });

  it('GET Bucket Lifecycle (a query parameter without a value)', () => {
    const signed = signRequest({ method: 'GET', url: new URL(`${host}/?lifecycle`), headers: {}, payloadHash: EMPTY_SHA256, credentials, region, date });
    expect(signed.canonicalRequest.split('\n')[2]).toBe('lifecycle=');
    expect(sha256Hex(signed.canonicalRequest)).toBe('9766c798316ff2757b517bc739a67f6213b4ab36dd5da2f94eaebf79c77395ca');
    expect(signed.signature).toBe('fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543');
  });

  it('GET Bucket, List Objects (query parameters sorted by name)', () => {
    const signed = signRequest({ method: 'GET', url: new URL(`${host}/?prefix=J&max-keys=2`), headers: {}, payloadHash: EMPTY_SHA256, credentials, region, date });
    expect(signed.canonicalRequest.split('\n')[2]).toBe('max-keys=2&prefix=J');
    expect(sha256Hex(signed.canonicalRequest)).toBe('df57d21db20da04d7fa30298dd4488ba3a2b47ca3a489c74750e0f1e7df1b9b7');
    expect(signed.signature).toBe('34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7');
  });
});

describe('the SigV4 signer', () => {
  it('signs temporary credentials with their session token', () => {
    const signed = signRequest({ method: 'GET', url: new URL(`${host}/x`), headers: {}, payloadHash: EMPTY_SHA256, credentials: { ...credentials, sessionToken: 'token/with+chars' }, region, date });
    expect(signed.headers['x-amz-security-token']).toBe('token/with+chars');
    expect(signed.headers.authorization).toContain('SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token,');
  });

  it('signs the host with its port, as the request sends it', () => {
    const signed = signRequest({ method: 'GET', url: new URL('http://127.0.0.1:9000/bucket/key'), headers: {}, payloadHash: EMPTY_SHA256, credentials, region, date });
    expect(signed.canonicalRequest).toContain('\nhost:127.0.0.1:9000\n');
  });

  it('percent-encodes as RFC 3986 wants, byte by byte', () => {
    expect(uriEncode('a b+c~d_e.f-g/h')).toBe('a%20b%2Bc~d_e.f-g%2Fh');
    expect(uriEncode('a/b', true)).toBe('a/b');
    expect(uriEncode('é')).toBe('%C3%A9');
  });
});
