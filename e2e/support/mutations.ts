import fc from 'fast-check';

/** A JSON value. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Path = Array<string | number>;

const isObject = (value: unknown): value is { [key: string]: Json } => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Every path to a value inside `value` (the root itself excluded). */
function pathsOf(value: Json, prefix: Path = []): Path[] {
  const out: Path[] = [];
  const children: Array<[string | number, Json]> = Array.isArray(value) ? value.map((v, i) => [i, v]) : isObject(value) ? Object.entries(value) : [];
  for (const [key, child] of children) {
    const path = [...prefix, key];
    out.push(path, ...pathsOf(child, path));
  }
  return out;
}

function getAt(value: Json, path: Path): Json | undefined {
  let current: Json | undefined = value;
  for (const key of path) current = (current as Record<string | number, Json> | undefined)?.[key];
  return current;
}

/** A copy of `value` with `change` applied to the parent of `path`. */
function edit(value: Json, path: Path, change: (parent: Json[] | { [key: string]: Json }, key: string | number) => void): Json {
  const copy = structuredClone(value);
  const parent = getAt(copy, path.slice(0, -1)) as Json[] | { [key: string]: Json };
  change(parent, path[path.length - 1]!);
  return copy;
}

const setAt = (value: Json, path: Path, replacement: Json) =>
  edit(value, path, (parent, key) => {
    (parent as Record<string | number, Json>)[key] = replacement;
  });

const dropAt = (value: Json, path: Path) =>
  edit(value, path, (parent, key) => {
    if (Array.isArray(parent)) parent.splice(key as number, 1);
    else delete parent[key as string];
  });

/** `depth` arrays or objects inside each other. */
function nested(depth: number, objects: boolean): Json {
  let value: Json = 'bottom';
  for (let i = 0; i < depth; i += 1) value = objects ? { n: value } : [value];
  return value;
}

/**
 * Nesting far deeper than any parser or serializer should recurse into is sent as a marker that
 * `toWire` expands, so that building and cloning the case in the test stays cheap and shallow.
 */
const deepMarker = (depth: number) => `__nested_${depth}__`;

/** The JSON text of a generated case, with deep-nesting markers expanded. */
export function toWire(value: Json): string {
  return JSON.stringify(value).replace(/"__nested_(\d+)__"/g, (_, depth: string) => '['.repeat(Number(depth)) + ']'.repeat(Number(depth)));
}

/** Keys that break naive object handling, mixed into generated objects. */
const TRICKY_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '', ' ', 'type', 'id', 'a.b', 'a[0]'];

/** Arbitrary JSON, with object keys drawn partly from `keys` so it often passes the first checks. */
export function arbitraryJson(keys: readonly string[] = [], maxDepth = 4): fc.Arbitrary<Json> {
  const key = fc.oneof(fc.constantFrom(...keys, ...TRICKY_KEYS), fc.string({ maxLength: 12 }));
  const { json } = fc.letrec<{ json: Json; leaf: Json }>((tie) => ({
    leaf: fc.oneof(fc.constant(null), fc.boolean(), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 10 })),
    json: fc.oneof(
      { depthSize: 'small', maxDepth },
      tie('leaf'),
      fc.array(tie('json'), { maxLength: 4 }),
      fc.dictionary(key, tie('json'), { maxKeys: 5 }),
    ),
  }));
  return json as fc.Arbitrary<Json>;
}

/** A value of a type a field most likely does not take. */
const wrongValue: fc.Arbitrary<Json> = fc.oneof(
  fc.integer({ min: 5_000, max: 100_000 }).map(deepMarker),
  fc.constant(null),
  fc.boolean(),
  fc.integer({ min: -1_000_000, max: 1_000_000 }),
  fc.constantFrom(-1, 0, 1.5, 1e308, -0, Number.MAX_SAFE_INTEGER + 2),
  fc.string({ maxLength: 20 }),
  fc.constantFrom('', ' ', '\u0000', 'null', 'true', '1', '-1', '2026-13-45T99:99:99Z', '../../etc/passwd', 'sesn_missing'),
  fc.constant<Json>([]),
  fc.constant<Json>({}),
  arbitraryJson([], 2),
);

/** Another value of the same JSON type as `value`: odd, but often still valid, so it reaches the checks behind the schema. */
function sameType(value: Json | undefined): fc.Arbitrary<Json> {
  if (typeof value === 'string') {
    return fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('', ' ', 'a'.repeat(257), 'agent_missing', 'env_missing', 'file_missing', 'sevt_missing', '/', '/../x', 'https://', 'é😀\u0000'));
  }
  if (typeof value === 'number') return fc.oneof(fc.integer({ min: -3, max: 30 }), fc.constantFrom(0, 2 ** 31, 2 ** 53, 1.5));
  if (typeof value === 'boolean') return fc.constant(!value);
  if (Array.isArray(value)) return fc.constantFrom<Json>([], [...value, ...value], value.slice(1));
  if (isObject(value)) return fc.constant({});
  return fc.constant(null);
}

/** One mutation of `valid` that keeps it close to valid, so that it reaches deep checks. */
function mutateOnce(valid: Json): fc.Arbitrary<Json> {
  const paths = pathsOf(valid);
  const containers = [[], ...paths].filter((path) => isObject(getAt(valid, path)));
  if (paths.length === 0) return fc.constant(valid);
  const path = fc.constantFrom(...paths);
  return fc.oneof(
    // drop a field, required or not
    path.map((p) => dropAt(valid, p)),
    // a value of the wrong type
    fc.tuple(path, wrongValue).map(([p, v]) => setAt(valid, p, v)),
    // an odd value of the right type
    path.chain((p) => sameType(getAt(valid, p)).map((v) => setAt(valid, p, v))),
    // an unknown field
    fc.tuple(fc.constantFrom(...containers), fc.oneof(fc.constantFrom(...TRICKY_KEYS), fc.string({ minLength: 1, maxLength: 12 })), wrongValue).map(([p, key, v]) =>
      p.length === 0 ? { ...(valid as object), [key]: v } : setAt(valid, p, { ...(getAt(valid, p) as object), [key]: v }),
    ),
    // a huge string
    fc.tuple(path, fc.integer({ min: 1_000, max: 150_000 }), fc.constantFrom('x', 'é', '😀', '\u0000')).map(([p, n, unit]) => setAt(valid, p, unit.repeat(n))),
    // deep nesting, on both sides of the server's depth limit
    fc.tuple(path, fc.integer({ min: 2, max: 400 }), fc.boolean()).map(([p, depth, objects]) => setAt(valid, p, nested(depth, objects))),
    // nesting deep enough to overflow a recursive walk
    fc.tuple(path, fc.integer({ min: 5_000, max: 100_000 })).map(([p, depth]) => setAt(valid, p, deepMarker(depth))),
    // a long array of a small value (bodies stay well under the server's size limit)
    fc.tuple(path, fc.integer({ min: 20, max: 2_000 })).map(([p, n]) => {
      const item = getAt(valid, p) ?? null;
      // Distinct copies: shared references would make a later edit of one item an edit of all.
      return setAt(valid, p, Array.from({ length: n }, () => (JSON.stringify(item).length > 200 ? null : structuredClone(item))));
    }),
  );
}

/** Near-valid bodies: one or two mutations of one of the valid examples. */
export function nearValid(examples: readonly Json[]): fc.Arbitrary<Json> {
  return fc
    .constantFrom(...examples)
    .chain(mutateOnce)
    .chain((once) => fc.oneof(fc.constant(once), mutateOnce(once)));
}

/** Query strings built from the route's keys, random keys and odd values. */
export function arbitraryQuery(keys: readonly string[]): fc.Arbitrary<string> {
  const value = fc.oneof(
    fc.string({ maxLength: 30 }),
    fc.string({ unit: 'binary', maxLength: 8 }),
    fc.integer({ min: -5, max: 5_000 }).map(String),
    fc.constantFrom('', 'true', 'false', 'asc', 'desc', '2026-01-01T00:00:00Z', '2026-01-01', 'null', 'undefined', '[]', '{}', '1e3', '0x10', 'sevt_x'),
    fc.base64String({ maxLength: 60 }),
  );
  const key = fc.oneof(fc.constantFrom(...keys), fc.string({ maxLength: 10 }), fc.constantFrom('beta', '__proto__', 'page[]', 'limit[]', 'created_at[eq]'));
  return fc.array(fc.tuple(key, value), { maxLength: 6 }).map((pairs) => {
    const params = new URLSearchParams();
    for (const [k, v] of pairs) params.append(k, v);
    return params.toString();
  });
}
