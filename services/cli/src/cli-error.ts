/**
 * Exit codes, the CLI's contract with scripts: 0 the command did what was asked (an audit
 * found everything intact); 1 it ran and the check failed, or the job could not be
 * finished (tampering found, views differ, a store error midway); 2 it never started
 * because the command line or the configuration is wrong.
 */
export const EXIT_OK = 0;
export const EXIT_CHECK_FAILED = 1;
export const EXIT_USAGE = 2;

export type ExitCode = typeof EXIT_OK | typeof EXIT_CHECK_FAILED | typeof EXIT_USAGE;

/** A failure the operator can act on: printed as one `error:` line, no stack. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    readonly exitCode: ExitCode,
    message: string,
  ) {
    super(message);
  }
}

export const usageError = (message: string): CliError => new CliError(EXIT_USAGE, message);

/** What the command was asked about does not exist (a well-formed id nobody knows). */
export const notFound = (message: string): CliError => new CliError(EXIT_CHECK_FAILED, message);
