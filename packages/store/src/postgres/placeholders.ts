/**
 * Rewrites the `?` placeholders of the shared SQL into PostgreSQL's numbered `$1, $2, …`.
 * A `?` inside a string literal, a quoted identifier or a comment is left alone, so a query that
 * mentions a question mark in text keeps its meaning.
 *
 * @example
 * numberPlaceholders(`SELECT * FROM t WHERE a = ? AND b = '?'`); // `SELECT * FROM t WHERE a = $1 AND b = '?'`
 */
export function numberPlaceholders(sql: string): string {
  let out = '';
  let next = 1;
  let i = 0;
  while (i < sql.length) {
    const char = sql[i]!;
    if (char === '?') {
      out += `$${next}`;
      next += 1;
      i += 1;
      continue;
    }
    const end = skipQuotedOrComment(sql, i);
    out += sql.slice(i, end);
    i = end;
  }
  return out;
}

/** The index just past the literal or comment starting at `i`, or `i + 1` for any other character. */
function skipQuotedOrComment(sql: string, i: number): number {
  const char = sql[i]!;
  if (char === "'" || char === '"') {
    // A doubled quote inside is an escaped quote: keep scanning past it.
    let j = i + 1;
    while (j < sql.length) {
      if (sql[j] === char) {
        if (sql[j + 1] === char) j += 2;
        else return j + 1;
      } else j += 1;
    }
    return sql.length;
  }
  if (char === '-' && sql[i + 1] === '-') {
    const newline = sql.indexOf('\n', i);
    return newline === -1 ? sql.length : newline + 1;
  }
  if (char === '/' && sql[i + 1] === '*') {
    const close = sql.indexOf('*/', i + 2);
    return close === -1 ? sql.length : close + 2;
  }
  return i + 1;
}
