import type { z } from 'zod';
import { LonghandError, invalidRequest } from './errors.js';

type Issue = z.core.$ZodIssue;

/** Renders a path such as `events[0].content[1].text`; the empty path is "body". */
export function formatPath(path: ReadonlyArray<PropertyKey>, root = 'body'): string {
  if (path.length === 0) return root;
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

function describe(issue: Issue): string {
  switch (issue.code) {
    case 'invalid_type': {
      const received = (issue as { input?: unknown }).input;
      if (received === undefined) return 'is required';
      if (received === null) return `must be ${issue.expected === 'int' ? 'an integer' : `of type ${issue.expected}`}, not null`;
      return `must be ${issue.expected === 'int' ? 'an integer' : `of type ${issue.expected}`}`;
    }
    case 'unrecognized_keys':
      return `has unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `\`${k}\``).join(', ')}`;
    case 'invalid_union': {
      const options = (issue as { options?: unknown[] }).options;
      if (options && options.length > 0) return `must be one of ${options.map((o) => `'${String(o)}'`).join(', ')}`;
      return 'does not match any accepted shape';
    }
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'too_small':
      if (issue.origin === 'string') return `must be at least ${issue.minimum} character${issue.minimum === 1 ? '' : 's'} long`;
      if (issue.origin === 'array') return `must have at least ${issue.minimum} item${issue.minimum === 1 ? '' : 's'}`;
      return `must be ${issue.inclusive ? 'at least' : 'greater than'} ${issue.minimum}`;
    case 'too_big':
      if (issue.origin === 'string') return `must be at most ${issue.maximum} characters long`;
      if (issue.origin === 'array') return `must have at most ${issue.maximum} items`;
      return `must be ${issue.inclusive ? 'at most' : 'less than'} ${issue.maximum}`;
    default:
      return issue.message;
  }
}

/** True when a branch's issue says the value is another shape altogether, not a broken field of this one. */
function wrongShape(issue: Issue): boolean {
  const tagOrRoot = issue.path.length === 0 || (issue.path.length === 1 && issue.path[0] === 'type');
  return tagOrRoot && (issue.code === 'invalid_type' || issue.code === 'invalid_value' || issue.code === 'invalid_union');
}

/**
 * Replaces a failed union (`string | {…}`, `agent | agent_with_overrides`) by the issues of the
 * branches the input plausibly meant, with their full paths, so that the message names the field
 * that broke (`agent.model`) instead of the union (`agent`). A union no branch fits stays as it is.
 */
function expandUnion(issue: Issue): Issue[] {
  const branches = issue.code === 'invalid_union' ? ((issue as { errors?: Issue[][] }).errors ?? []) : [];
  const plausible = branches.filter((branch) => branch.length > 0 && !branch.some(wrongShape));
  if (plausible.length === 0) return [issue];
  return plausible.flat().flatMap((inner) => expandUnion({ ...inner, path: [...issue.path, ...inner.path] } as Issue));
}

/** The most useful issue: the deepest one, so unions report the field that broke, not the union. */
function pickIssue(issues: readonly Issue[]): Issue {
  const candidates = issues.flatMap(expandUnion);
  let best = candidates[0]!;
  for (const issue of candidates) if (issue.path.length > best.path.length) best = issue;
  return best;
}

/** Turns a zod failure into a 400 whose message names the offending field. */
export function toValidationError(error: z.ZodError, root = 'body'): LonghandError {
  const issue = pickIssue(error.issues);
  const path = issue.code === 'unrecognized_keys' ? formatPath(issue.path, root) : formatPath(issue.path, root);
  const custom = issue.code === 'custom' ? issue.message : undefined;
  const message = custom ? `${path}: ${custom}` : `${path} ${describe(issue)}`;
  if (issue.path[0] === 'metadata' && (issue.code === 'too_big' || issue.code === 'custom')) {
    return new LonghandError('invalid_metadata', message);
  }
  return invalidRequest(message);
}

/**
 * Validates `input` against `schema` and returns the parsed value, or throws a 400 whose message
 * names the field, e.g. "events[0].content[0].text is required".
 *
 * @example
 * const params = parse(AgentCreateParams, await request.json());
 */
export function parse<S extends z.ZodType>(schema: S, input: unknown, root = 'body'): z.output<S> {
  // `reportInput` puts the offending value on each issue, so a wrong type is not mistaken for a missing field.
  const result = schema.safeParse(input, { reportInput: true });
  if (!result.success) throw toValidationError(result.error, root);
  return result.data;
}
