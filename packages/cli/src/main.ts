import { isLonghandError } from '@longhand/protocol';
import { checkpoints, exportSession, fork, importSession, restore } from './commands/branching.js';
import { keys } from './commands/keys.js';
import { migrate } from './commands/migrate.js';
import { run } from './commands/run.js';
import { serve } from './commands/serve.js';
import { sessions } from './commands/sessions.js';
import { workspaces } from './commands/workspaces.js';

const HELP = `longhand: a self-hosted runtime for long-running AI agents

  longhand serve        run the API server (and the workers that run sessions)
  longhand run          send a prompt to an agent and watch it work
  longhand sessions     list, show and follow sessions
  longhand checkpoints  list or take a session's checkpoints
  longhand fork         start a new session from a checkpoint of another
  longhand restore      roll a session back to a checkpoint
  longhand export       write a session (log and workspace) to one archive
  longhand import       create a session from an archive
  longhand migrate      bring the database's schema up to date and show its version
  longhand keys         create, list and revoke API keys
  longhand workspaces   create and list workspaces

Run \`longhand <command> --help\` for a command's options.
`;

const COMMANDS: Record<string, (argv: string[]) => Promise<number>> = {
  serve,
  run,
  sessions,
  checkpoints,
  fork,
  restore,
  export: exportSession,
  import: importSession,
  migrate,
  keys,
  workspaces,
};

/** Runs one command and returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(HELP);
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`longhand: unknown command "${name}"\n\n${HELP}`);
    return 2;
  }
  try {
    return await command(rest);
  } catch (error) {
    const message = isLonghandError(error) || error instanceof Error ? error.message : String(error);
    process.stderr.write(`longhand ${name}: ${message}\n`);
    return 1;
  }
}
