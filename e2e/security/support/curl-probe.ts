/**
 * Many HTTP attempts in one bash call: `curl` inside the sandbox, through the sandbox's egress
 * proxy (the relay on 127.0.0.1:3128) in absolute form or as a CONNECT tunnel, one section of
 * output per attempt. `--noproxy ''` matters: the sandbox's NO_PROXY lists 127.0.0.1, and curl
 * would otherwise go straight to the sandbox's own loopback and prove nothing.
 */

/** One attempt. */
export interface Attempt {
  /** What is tried, for failure messages. */
  label: string;
  url: string;
  /** Through a CONNECT tunnel (`curl -p`) instead of an absolute-form request. */
  tunnel?: boolean;
  /** Follow redirects. */
  follow?: boolean;
}

/** What came back for one attempt. */
export interface AttemptResult extends Attempt {
  /** curl's output: the body (or its error), then `status=… connect=… exit=…`. */
  output: string;
  /** HTTP status of the final response (0 when there was none). */
  status: number;
  /** Status of the proxy's answer to CONNECT (0 when no tunnel was asked for). */
  connectStatus: number;
}

const quote = (text: string): string => `'${text.replace(/'/g, `'\\''`)}'`;

/** The bash command that makes every attempt. */
export function curlScript(attempts: readonly Attempt[]): string {
  const lines = [
    // -g: brackets are IPv6 hosts, not globs. -m: nothing waits long on a refusal.
    "try() { echo \"=== $1\"; curl -sS -g --noproxy '' -x http://127.0.0.1:3128 -m 10 $2 -w '\\nstatus=%{http_code} connect=%{http_connect}' \"$3\" 2>&1; echo \" exit=$?\"; }",
  ];
  for (const [index, attempt] of attempts.entries()) {
    const flags = [attempt.tunnel ? '-p' : '', attempt.follow ? '-L' : ''].filter(Boolean).join(' ');
    lines.push(`try ${index} ${quote(flags)} ${quote(attempt.url)}`);
  }
  return lines.join('\n');
}

/** Splits the command's output back into one result per attempt. */
export function parseCurlOutput(attempts: readonly Attempt[], output: string): AttemptResult[] {
  const sections = output.split(/^=== (\d+)$/m);
  const byIndex = new Map<number, string>();
  for (let i = 1; i < sections.length; i += 2) byIndex.set(Number(sections[i]), sections[i + 1] ?? '');
  return attempts.map((attempt, index) => {
    const text = byIndex.get(index);
    if (text === undefined) throw new Error(`no output for attempt ${index} (${attempt.label}); the command printed:\n${output.slice(0, 2000)}`);
    const status = Number(/status=(\d+)/.exec(text)?.[1] ?? 0);
    const connectStatus = Number(/connect=(\d+)/.exec(text)?.[1] ?? 0);
    return { ...attempt, output: text.trim(), status, connectStatus };
  });
}
