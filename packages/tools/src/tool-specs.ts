/**
 * The definitions of the built-in tools as the model is offered them: a name, a description that
 * says how to use the tool well (and what it will not do), and the JSON schema of its input.
 * The numbers quoted are the default limits.
 */

export const TOOL_NAMES = ['bash', 'read', 'write', 'edit', 'glob', 'grep', 'web_fetch', 'web_search'] as const;

export type ToolName = (typeof TOOL_NAMES)[number];

export interface ToolSpec {
  name: ToolName;
  description: string;
  input_schema: Record<string, unknown>;
}

function schema(properties: Record<string, unknown>, required: string[]): Record<string, unknown> {
  return { type: 'object', properties, required, additionalProperties: false };
}

const PATH_NOTE = 'Relative paths are resolved against the working directory /workspace; paths outside the workspace are refused.';

/** The eight tools of `agent_toolset_20260401`, in the order of spec §5.10. */
export const TOOL_SPECS: readonly ToolSpec[] = Object.freeze([
  {
    name: 'bash',
    description:
      'Run a command in a persistent bash shell inside the sandbox. The shell starts in /workspace; the working directory ' +
      '(cd), exported environment variables and shell functions carry over to later calls. Standard input is closed, so ' +
      'commands never wait for input: use non-interactive flags (for example apt-get -y, git --no-pager). A command is ' +
      'killed after 120 seconds unless timeout_ms allows longer (at most 600000). Start servers and other long-running ' +
      'processes in the background (`cmd > server.log 2>&1 &`); the call returns without waiting for them. stdout and ' +
      'stderr come back together, limited to about 100 KB: the middle of longer output is left out, so send large output ' +
      'to a file and inspect it with grep, head or tail. A non-zero exit status is reported as an error along with the ' +
      'output. Pass restart: true (with or without a command) to replace a stuck or broken shell with a fresh one. ' +
      'For reading, writing, editing and searching files, prefer the read, write, edit, glob and grep tools.',
    input_schema: schema(
      {
        command: { type: 'string', description: 'The bash command to run. Required unless restart is true.' },
        restart: { type: 'boolean', description: 'Restart the shell first (cwd goes back to /workspace, variables are reset).' },
        timeout_ms: { type: 'integer', minimum: 1, description: 'Timeout for this command in milliseconds (default 120000, at most 600000).' },
      },
      [],
    ),
  },
  {
    name: 'read',
    description:
      'Read a file. Text comes back with line numbers as `cat -n` prints them (the number, a tab, then the line); the ' +
      'numbers are not part of the file, so leave them out when copying text into edit. Without view_range the first ' +
      '2000 lines are shown and the result says how to read on; view_range [start_line, end_line] selects lines (1-based, ' +
      'inclusive; end_line -1 reads to the end of the file). Lines longer than 2000 characters are cut. PNG, JPEG, GIF and ' +
      'WebP images are returned as images you can see, PDFs as documents. Directories and binary files cannot be read: ' +
      `use glob or bash for those. ${PATH_NOTE}`,
    input_schema: schema(
      {
        file_path: { type: 'string', description: 'Path of the file, absolute (/workspace/src/main.py) or relative to /workspace.' },
        view_range: {
          type: 'array',
          items: { type: 'integer' },
          minItems: 2,
          maxItems: 2,
          description: '[start_line, end_line], 1-based and inclusive; end_line -1 (or 0) means the end of the file.',
        },
      },
      ['file_path'],
    ),
  },
  {
    name: 'write',
    description:
      'Create a file, or replace the whole content of an existing one, with the given text (UTF-8). Missing parent ' +
      'directories are created. To change part of an existing file, use edit instead: it is safer and cheaper. ' +
      PATH_NOTE,
    input_schema: schema(
      {
        file_path: { type: 'string', description: 'Path of the file to write.' },
        content: { type: 'string', description: 'The complete new content of the file.' },
      },
      ['file_path', 'content'],
    ),
  },
  {
    name: 'edit',
    description:
      "Replace text in an existing file. old_string must match the file's current content exactly, including whitespace, " +
      'indentation and line breaks, and without the line-number prefix that read shows. It must occur exactly once unless ' +
      'replace_all is true, so include enough surrounding lines to make it unique. If old_string is not found, or found ' +
      'more than once, nothing is changed and the error says why. The result shows the edited lines. ' +
      PATH_NOTE,
    input_schema: schema(
      {
        file_path: { type: 'string', description: 'Path of the file to edit.' },
        old_string: { type: 'string', description: 'The exact text to replace (not empty).' },
        new_string: { type: 'string', description: 'The text to put in its place (may be empty to delete).' },
        replace_all: { type: 'boolean', description: 'Replace every occurrence instead of requiring exactly one (default false).' },
      },
      ['file_path', 'old_string', 'new_string'],
    ),
  },
  {
    name: 'glob',
    description:
      'Find files whose paths match a glob pattern; results are absolute paths, most recently modified first, at most 200. ' +
      '`*` matches within one directory, `**` across any number of directories, `?` one character, `[abc]` one of a set, ' +
      '`{ts,tsx}` alternatives: for example `**/*.py`, `src/**/*.test.{ts,tsx}`, `docs/*.md`. Wildcards do not match ' +
      'names starting with a dot, and .git and node_modules are skipped unless the pattern names them. Only files are ' +
      'listed, not directories.',
    input_schema: schema(
      {
        pattern: { type: 'string', description: 'The glob pattern, relative to path (or an absolute pattern such as /workspace/src/**/*.ts).' },
        path: { type: 'string', description: 'Directory to search in (default /workspace).' },
      },
      ['pattern'],
    ),
  },
  {
    name: 'grep',
    description:
      'Search file contents for a regular expression and get the matching lines as `path:line:text`, files in path order. ' +
      'The syntax is ripgrep\'s (like Perl or Python regexes): for example `def \\w+\\(`, `TODO|FIXME`, `(?i)error`. ' +
      'path may be a directory, searched recursively (default /workspace), or a single file. Hidden files and ' +
      'directories, node_modules directories and binary files are skipped while walking (.gitignore is not read); ' +
      'name a path to search inside one of them. Output is limited to about 100 KB; if it is cut, narrow the ' +
      'pattern or the path.',
    input_schema: schema(
      {
        pattern: { type: 'string', description: 'The regular expression to search for.' },
        path: { type: 'string', description: 'File or directory to search (default /workspace).' },
      },
      ['pattern'],
    ),
  },
  {
    name: 'web_fetch',
    description:
      'Fetch a web page or file over http(s) and return its readable content. HTML pages are converted to text that ' +
      'keeps headings, lists and links (as Markdown); plain text, JSON and XML come back as they are; PDFs as documents ' +
      'and images as images. Use it to read documentation, articles or results found with web_search. Long pages are ' +
      'truncated, and some domains may not be allowed for this agent.',
    input_schema: schema({ url: { type: 'string', description: 'The absolute URL to fetch, starting with https:// or http://.' } }, ['url']),
  },
  {
    name: 'web_search',
    description:
      'Search the web. Returns up to 10 results, each with its title, URL and an excerpt, which you can cite; read a ' +
      'result in full with web_fetch. Write the query as you would type it into a search engine.',
    input_schema: schema({ query: { type: 'string', description: 'The search query.' } }, ['query']),
  },
] satisfies ToolSpec[]);
