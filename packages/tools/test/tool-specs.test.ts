import { describe, expect, it } from 'vitest';
import { TOOL_NAMES, TOOL_SPECS } from '../src/index.js';
import { parseBashInput } from '../src/bash/bash-tool.js';
import { parseEditInput } from '../src/files/edit-tool.js';
import { parseReadInput } from '../src/files/read-tool.js';
import { parseWriteInput } from '../src/files/write-tool.js';
import { parseGlobInput } from '../src/search/glob-tool.js';
import { parseGrepInput } from '../src/search/grep-tool.js';
import { parseWebFetchInput } from '../src/web/web-fetch-tool.js';
import { parseWebSearchInput } from '../src/web/web-search-tool.js';

const PARSERS: Record<string, (raw: unknown) => unknown> = {
  bash: parseBashInput,
  read: parseReadInput,
  write: parseWriteInput,
  edit: parseEditInput,
  glob: parseGlobInput,
  grep: parseGrepInput,
  web_fetch: (raw) => parseWebFetchInput(raw),
  web_search: parseWebSearchInput,
};

/** A value of the schema's type that the parsers accept. */
function sample(name: string, property: string, schema: { type: string }): unknown {
  if (property === 'url') return 'https://example.com/';
  if (property === 'old_string') return 'old';
  if (schema.type === 'array') return [1, 10];
  if (schema.type === 'integer') return 1000;
  if (schema.type === 'boolean') return name === 'bash';
  return `${name}-${property}`;
}

describe('TOOL_SPECS', () => {
  it('defines the eight tools of agent_toolset_20260401, once each', () => {
    expect(TOOL_SPECS.map((spec) => spec.name)).toEqual([...TOOL_NAMES]);
    expect(TOOL_NAMES).toEqual(['bash', 'read', 'write', 'edit', 'glob', 'grep', 'web_fetch', 'web_search']);
  });

  for (const spec of TOOL_SPECS) {
    it(`describes ${spec.name} with an object schema whose fields the tool accepts, and no others`, () => {
      expect(spec.description.length).toBeGreaterThan(80);
      const schema = spec.input_schema as { type: string; properties: Record<string, { type: string; description?: string }>; required: string[]; additionalProperties: boolean };
      expect(schema.type).toBe('object');
      expect(schema.additionalProperties).toBe(false);
      for (const field of schema.required) expect(Object.keys(schema.properties)).toContain(field);
      for (const property of Object.values(schema.properties)) expect(property.description?.length).toBeGreaterThan(10);

      const full = Object.fromEntries(Object.entries(schema.properties).map(([key, value]) => [key, sample(spec.name, key, value)]));
      const parse = PARSERS[spec.name] as (raw: unknown) => unknown;
      expect(() => parse(full)).not.toThrow();
      expect(() => parse({ ...full, not_in_schema: 1 })).toThrow(/unknown field "not_in_schema"/);
      for (const field of schema.required) {
        const { [field]: _dropped, ...rest } = full;
        expect(() => parse(rest), `${spec.name} without ${field}`).toThrow(/is required/);
      }
    });
  }

  it('is frozen, so no caller changes what another offers the model', () => {
    expect(Object.isFrozen(TOOL_SPECS)).toBe(true);
  });
});
