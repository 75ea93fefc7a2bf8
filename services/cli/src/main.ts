import { Command, CommanderError } from 'commander';
import { CliError, EXIT_CHECK_FAILED, EXIT_OK, EXIT_USAGE, type ExitCode } from './cli-error';
import { registerApiKeyCommands } from './commands/api-keys.command';
import { registerAuditCommands } from './commands/audit.command';
import { registerKeyCommands } from './commands/keys.command';
import { registerProjectionCommands } from './commands/projections.command';
import { CliContext, type RunCommand } from './context';
import { processOutput, type Output } from './output';

/**
 * `npm run cli -- <command>`: the operator's tool (DESIGN §4). Reads the same environment
 * as the services (EVENT_STORE, SQLITE_PATH, ESDB_CONNECTION_STRING, ROTOR_KEK_RING(_FILE),
 * ROTOR_DATA_DIR, NATS_URL).
 */
export function createProgram(
  env: NodeJS.ProcessEnv,
  output: Output,
): {
  program: Command;
  /** The exit code of the last command run. */
  exitCode: () => ExitCode;
} {
  let exitCode: ExitCode = EXIT_OK;
  const run: RunCommand = async (work) => {
    const context = CliContext.fromEnv(env, output);
    try {
      exitCode = await work(context, output);
    } finally {
      await context.close();
    }
  };

  const program = new Command('rotor')
    .description('Rotor operator CLI: API keys, audit, KEK re-wrap, projection rebuild')
    .exitOverride()
    .showHelpAfterError('(add --help for usage)')
    .addHelpText(
      'after',
      '\nExit status: 0 ok, 1 the check failed (e.g. tampering found), 2 usage or configuration\n' +
        'error. Configuration comes from the environment, as for the services: EVENT_STORE,\n' +
        'SQLITE_PATH, ROTOR_DATA_DIR, ESDB_CONNECTION_STRING, ROTOR_KEK_RING(_FILE), NATS_URL.',
    );
  // Subcommands inherit the override: a usage error anywhere surfaces as a CommanderError.
  program.configureHelp({ sortSubcommands: true });
  registerApiKeyCommands(program, run);
  registerAuditCommands(program, run);
  registerKeyCommands(program, run);
  registerProjectionCommands(program, run);
  for (const command of allCommands(program))
    command.exitOverride().showHelpAfterError('(add --help for usage)');
  return { program, exitCode: () => exitCode };
}

function* allCommands(command: Command): Generator<Command> {
  for (const sub of command.commands) {
    yield sub;
    yield* allCommands(sub);
  }
}

/** Runs the command line; resolves to the exit code instead of exiting. */
export async function main(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  output: Output = processOutput(),
): Promise<ExitCode> {
  const { program, exitCode } = createProgram(env, output);
  try {
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
