/**
 * Reading a tool's input, which comes from the model and may be any JSON at all. Every check ends
 * in an {@link InputError} whose message names the field and what was expected, so the tool can
 * return it as an error result the model can act on.
 */

/** A tool input that does not fit the tool's schema. */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return 'a string';
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer' : 'a number';
  return `a ${typeof value}`;
}

/**
 * Typed access to the fields of one tool input. Construction fails when the input is not a JSON
 * object or carries a field the tool does not know: a misspelt or invented field (say `offset`
 * for `read`) would otherwise be ignored silently and the model would trust a result it did not ask for.
 *
 * @example
 * const input = new InputReader('read', raw, ['file_path', 'view_range']);
 * const filePath = input.string('file_path');
 */
export class InputReader {
  private readonly fields: Record<string, unknown>;

  constructor(
    private readonly tool: string,
    raw: unknown,
    known: readonly string[],
  ) {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      throw new InputError(`${tool}: the input must be a JSON object, got ${describe(raw)}`);
    }
    this.fields = raw as Record<string, unknown>;
    const unknown = Object.keys(this.fields).filter((key) => !known.includes(key));
    if (unknown.length > 0) {
      const list = unknown.map((key) => JSON.stringify(key)).join(', ');
      throw new InputError(`${tool}: unknown field ${list}; the accepted fields are ${known.join(', ')}`);
    }
  }

  private fail(field: string, expected: string): never {
    throw new InputError(`${this.tool}: "${field}" must be ${expected}, got ${describe(this.fields[field])}`);
  }

  private present(field: string): boolean {
    return this.fields[field] !== undefined && this.fields[field] !== null;
  }

  /** A required string; `allowEmpty` for fields where "" means something (file contents). */
  string(field: string, options: { allowEmpty?: boolean } = {}): string {
    if (!this.present(field)) throw new InputError(`${this.tool}: "${field}" is required`);
    const value = this.fields[field];
    if (typeof value !== 'string') this.fail(field, 'a string');
    if (value === '' && !options.allowEmpty) throw new InputError(`${this.tool}: "${field}" must not be empty`);
    return value;
  }

  /** An optional string; absent and `null` both read as `undefined`. */
  optionalString(field: string): string | undefined {
    return this.present(field) ? this.string(field) : undefined;
  }

  /** An optional boolean; absent and `null` both read as `undefined`. */
  optionalBoolean(field: string): boolean | undefined {
    if (!this.present(field)) return undefined;
    const value = this.fields[field];
    if (typeof value !== 'boolean') this.fail(field, 'true or false');
    return value;
  }

  /** An optional integer of at least `min`. */
  optionalInteger(field: string, min: number): number | undefined {
    if (!this.present(field)) return undefined;
    const value = this.fields[field];
    if (typeof value !== 'number' || !Number.isSafeInteger(value)) this.fail(field, 'an integer');
    if (value < min) throw new InputError(`${this.tool}: "${field}" must be at least ${min}, got ${value}`);
    return value;
  }

  /** An optional array of exactly `length` integers. */
  optionalIntegerTuple(field: string, length: number): number[] | undefined {
    if (!this.present(field)) return undefined;
    const value = this.fields[field];
    if (!Array.isArray(value)) this.fail(field, `an array of ${length} integers`);
    if (value.length !== length || !value.every((item) => typeof item === 'number' && Number.isSafeInteger(item))) {
      throw new InputError(`${this.tool}: "${field}" must be an array of ${length} integers, got ${JSON.stringify(value).slice(0, 100)}`);
    }
    return value as number[];
  }
}
