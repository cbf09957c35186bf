/**
 * Settings of a deployment that more than one command reads (`serve`, `migrate`), from flags
 * first, then the environment, then defaults.
 */

/** The PostgreSQL URL from `--database-url` or `DATABASE_URL`; undefined for the embedded SQLite database. */
export function databaseUrlOf(flag: string | undefined): string | undefined {
  const url = flag ?? process.env.DATABASE_URL;
  if (url === undefined || url === '') return undefined;
  if (!/^postgres(ql)?:\/\//.test(url)) throw new Error(`the database URL must start with postgres:// or postgresql://`);
  return url;
}

/** A whole number of at least `min` from a flag or the environment; a clear error when it is not one. */
export function countOf(name: string, value: string | undefined, fallback: number, min = 1): number {
  if (value === undefined || value === '') return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number < min) throw new Error(`${name} must be a whole number of at least ${min}, not ${value}`);
  return number;
}

/** One of `choices` from a flag or the environment. */
export function choiceOf<T extends string>(name: string, value: string | undefined, choices: readonly T[], fallback: T): T {
  if (value === undefined || value === '') return fallback;
  if (!(choices as readonly string[]).includes(value)) throw new Error(`${name} must be ${choices.join(', ')}; not ${value}`);
  return value as T;
}
