import { Command, CommanderError } from 'commander';
import { CliError, EXIT_CHECK_FAILED, EXIT_OK, EXIT_USAGE, type ExitCode } from './cli-error';
import type { RunCommand } from './context';
import { processOutput, type Output } from './output';

/**
 * `npm run cli -- <command>`: the operator's tool (DESIGN §4). Reads the same environment
 * as the services (EVENT_STORE, SQLITE_PATH, ESDB_CONNECTION_STRING, ROTOR_KEK_RING(_FILE),
 * ROTOR_DATA_DIR, NATS_URL).
 *
 * Each command group lives in commands/<group>.command.ts and is loaded only when it is
 * the one asked for: a run compiles and loads what it uses, not the whole tool.
 */
/** Adds a group's subcommands to the group's command. */
type Register = (group: Command, run: RunCommand) => void;

interface CommandGroup {
  readonly name: string;
  readonly description: string;
  readonly load: () => Promise<Register>;
}

export const COMMAND_GROUPS: readonly CommandGroup[] = [
  {
    name: 'api-keys',
    description: 'create, list and revoke the API keys of the REST facade',
    load: async () => (await import('./commands/api-keys.command')).registerApiKeyCommands,
  },
  {
    name: 'audit',
    description: 'replay endpoint timelines, verify the audit hash chains',
    load: async () => (await import('./commands/audit.command')).registerAuditCommands,
  },
  {
    name: 'endpoints',
    description: 'import endpoints with the secrets they already have (JSON Lines)',
    load: async () => (await import('./commands/endpoints.command')).registerEndpointCommands,
  },
  {
    name: 'keys',
    description: 'key-encryption keys (KEKs): re-wrap every data key under the primary',
    load: async () => (await import('./commands/keys.command')).registerKeyCommands,
  },
  {
    name: 'projections',
    description: "the projector's views: rebuild, compare, write",
    load: async () => (await import('./commands/projections.command')).registerProjectionCommands,
  },
];

/** The group a command line is about (`rotor audit ...`, `rotor help audit`), if any. */
const groupOf = (args: readonly string[]): CommandGroup | undefined => {
  const [first, second] = args;
  const name = first === 'help' ? second : first;
  return COMMAND_GROUPS.find((group) => group.name === name);
};

export async function createProgram(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  output: Output,
): Promise<{ program: Command; exitCode: () => ExitCode }> {
  let exitCode: ExitCode = EXIT_OK;
  const run: RunCommand = async (work) => {
    const { CliContext } = await import('./context');
    const context = CliContext.fromEnv(env, output);
    try {
      exitCode = await work(context, output);
    } finally {
      await context.close();
    }
  };

  // Set before the subcommands are added, which inherit them: a usage error anywhere
  // surfaces as a CommanderError, and every word commander prints goes through `output`.
  const program = new Command('rotor')
    .description('Rotor operator CLI: API keys, audit, KEK re-wrap, projection rebuild')
    .exitOverride()
    .configureOutput({ writeOut: output.writeOut, writeErr: output.writeErr })
    .showHelpAfterError('(add --help for usage)')
    .addHelpText(
      'after',
      '\nExit status: 0 ok, 1 the check failed (e.g. tampering found), 2 usage or configuration\n' +
        'error. Configuration comes from the environment, as for the services: EVENT_STORE,\n' +
        'SQLITE_PATH, ROTOR_DATA_DIR, ESDB_CONNECTION_STRING, ROTOR_KEK_RING(_FILE), NATS_URL.',
    );
  const asked = groupOf(args);
  for (const group of COMMAND_GROUPS) {
    const command = program.command(group.name).description(group.description);
    // The other groups stay bare: enough for the top-level help and "unknown command".
    if (group === asked) (await group.load())(command, run);
  }
  return { program, exitCode: () => exitCode };
}

/** Runs a command line (`process.argv`); resolves to the exit code instead of exiting. */
export async function main(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  output: Output = processOutput(),
): Promise<ExitCode> {
  try {
    const { program, exitCode } = await createProgram(argv.slice(2), env, output);
    await program.parseAsync(argv as string[]);
    return exitCode();
  } catch (error) {
    return exitCodeOf(error, output);
  }
}

const HELP_CODES = new Set(['commander.helpDisplayed', 'commander.help', 'commander.version']);

function exitCodeOf(error: unknown, output: Output): ExitCode {
  if (error instanceof CommanderError)
    // Commander has printed its message (or the help) already.
    return HELP_CODES.has(error.code) && error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
  if (error instanceof CliError) {
    output.note(`error: ${error.message}`);
    return error.exitCode;
  }
  // Unexpected: the message, not the stack (a stack may quote values); the job is not done.
  const { name, message } = error instanceof Error ? error : new Error(String(error));
  output.note(`error: ${name}: ${message}`);
  return EXIT_CHECK_FAILED;
}

if (require.main === module) {
  // `rotor ... | head` closes the pipe early: stop quietly rather than crash on EPIPE.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(EXIT_OK);
    throw error;
  });
  void main(process.argv).then((code) => {
    process.exitCode = code;
  });
}
