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

/**
 * Control characters of data shown to an operator, escaped (`\x1b` -> `\\x1b`): a
 * description or an actor holding an escape sequence or a carriage return could otherwise
 * rewrite the terminal, or forge a line of a timeline. Tabs stay (tables use none).
 */
export const escapeControlCharacters = (text: string): string =>
  // eslint-disable-next-line no-control-regex
  text.replace(/[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029]/g, (c) =>
    c.charCodeAt(0) <= 0xff
      ? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`
      : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );

export const processOutput = (
  stdout: NodeJS.WriteStream = process.stdout,
  stderr: NodeJS.WriteStream = process.stderr,
): Output => {
  // Every line of data and every note passes here: one place escapes what they quote.
  const line = async (text: string): Promise<void> => {
    if (!stdout.write(`${escapeControlCharacters(text)}\n`)) await once(stdout, 'drain');
  };
  return {
    line,
    json: (value) => line(JSON.stringify(value)),
    note: (text) => {
      stderr.write(`${escapeControlCharacters(text)}\n`);
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
