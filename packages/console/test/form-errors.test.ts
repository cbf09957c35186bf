import { describe, expect, it } from 'vitest';
import { ApiError } from '../src/api/api-error.js';
import { encodeQuery } from '../src/api/client.js';
import { matchesSearch } from '../src/pages/sessions/session-search.js';
import { errorsFrom, fieldFor, leadingPath } from '../src/ui/form-errors.js';
import { metadataPatch, readJson } from '../src/ui/json-field.js';
import { diffLines } from '../src/ui/line-diff.js';

describe('form errors', () => {
  it('reads the field path an API message starts with', () => {
    expect(leadingPath('tools[0].configs[1].name must be one of "bash", "read"')).toBe('tools[0].configs[1].name');
    expect(leadingPath('name: an agent with this name exists')).toBe('name');
    expect(leadingPath('body has unknown field `colour`')).toBeUndefined();
  });

  it('gives an error to the longest form field that owns its path', () => {
    const fields = ['config', 'config.networking', 'config.packages.pip', 'tools'];
    expect(fieldFor('tools[0].configs[1].name', fields)).toBe('tools');
    expect(fieldFor('config.packages.pip[0]', fields)).toBe('config.packages.pip');
    expect(fieldFor('config.networking.allowed_hosts', fields)).toBe('config.networking');
    expect(fieldFor('toolsets', fields)).toBeUndefined();
  });

  it('puts a 400 on its field and anything else on the form', () => {
    expect(errorsFrom(new ApiError(400, 'invalid_request_error', 'model.speed must be one of "standard", "fast"'), ['name', 'model'])).toEqual({
      fields: { model: 'model.speed must be one of "standard", "fast"' },
    });
    expect(errorsFrom(new ApiError(409, 'invalid_request_error', 'version 1 is not the current version 2'), ['name', 'version'])).toEqual({
      fields: {},
      form: 'version 1 is not the current version 2',
    });
  });
});

describe('JSON fields', () => {
  it('reads lists and objects and says what was expected', () => {
    expect(readJson('[1]', 'array', [])).toEqual({ ok: true, value: [1] });
    expect(readJson('', 'object', {})).toEqual({ ok: true, value: {} });
    expect(readJson('{}', 'array', [])).toEqual({ ok: false, error: 'Must be a JSON list: [ … ]' });
    expect(readJson('{', 'object', {}).ok).toBe(false);
  });

  it('makes a metadata patch that deletes removed keys with null', () => {
    expect(metadataPatch({ a: '1', b: '2' }, { a: '1', c: '3' })).toEqual({ c: '3', b: null });
  });
});

describe('query encoding', () => {
  it('encodes arrays with brackets and leaves empty values out (spec 1.4)', () => {
    expect(encodeQuery({ statuses: ['idle', 'running'], page: null, agent_id: '', limit: 50, include_archived: false })).toBe(
      '?statuses%5B%5D=idle&statuses%5B%5D=running&limit=50&include_archived=false',
    );
  });
});

describe('session search', () => {
  const session = { id: 'sesn_1', title: 'Quarterly report', metadata: { team: 'data', env: 'prod' } } as never;
  it('matches words of the title, id and metadata, and key:value pairs', () => {
    expect(matchesSearch(session, 'report')).toBe(true);
    expect(matchesSearch(session, 'REPORT team:data')).toBe(true);
    expect(matchesSearch(session, 'env:staging')).toBe(false);
    expect(matchesSearch(session, 'prod quarterly')).toBe(true);
    expect(matchesSearch(session, 'missing')).toBe(false);
  });
});

describe('diffLines', () => {
  it('pairs an edited line with its new version and keeps the rest aligned', () => {
    const rows = diffLines('a\nb\nc\nd', 'a\nB\nc\nd\ne');
    expect(rows.map((row) => [row.kind, row.left?.text, row.right?.text])).toEqual([
      ['same', 'a', 'a'],
      ['changed', 'b', 'B'],
      ['same', 'c', 'c'],
      ['same', 'd', 'd'],
      ['added', undefined, 'e'],
    ]);
  });

  it('numbers lines on both sides', () => {
    const rows = diffLines('x\ny', 'y');
    expect(rows).toEqual([
      { kind: 'removed', left: { number: 1, text: 'x' } },
      { kind: 'same', left: { number: 2, text: 'y' }, right: { number: 1, text: 'y' } },
    ]);
  });
});
