import { once } from 'node:events';

/**
 * Where a command writes. Data goes to stdout (what a script reads or pipes on); messages
 * for the operator and progress go to stderr, so `--json | jq` never sees them.
 */
export interface Output {
  /** One line of data. Waits while stdout is full, so a long stream stays flat in memory. */
  line(text: string): Promise<void>;
  /** One JSON document on one line. */
  json(value: unknown): Promise<void>;
  /** A message for the operator (stderr). */
  note(text: string): void;
  /** Text as is, for commander's help (stdout) and usage errors (stderr). */
  writeOut(text: string): void;
  writeErr(text: string): void;
  /** The stream progress is drawn on, when it is a terminal; undefined when piped. */
  readonly progressStream?: ProgressStream;
}

export interface ProgressStream {
  write(text: string): unknown;
  readonly columns?: number;
}

export const processOutput = (
  stdout: NodeJS.WriteStream = process.stdout,
  stderr: NodeJS.WriteStream = process.stderr,
): Output => {
  const line = async (text: string): Promise<void> => {
    if (!stdout.write(`${text}\n`)) await once(stdout, 'drain');
  };
  return {
    line,
    json: (value) => line(JSON.stringify(value)),
    note: (text) => {
      stderr.write(`${text}\n`);
    },
    writeOut: (text) => {
      stdout.write(text);
    },
    writeErr: (text) => {
      stderr.write(text);
    },
    progressStream: stderr.isTTY ? stderr : undefined,
  };
};
