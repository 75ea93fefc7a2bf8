import { PassThrough } from 'node:stream';
import { escapeControlCharacters, processOutput } from './output';

describe('CLI output: control characters of data are escaped', () => {
  it.each([
    ['a\rforged line', 'a\\x0dforged line'],
    ['\x1b[2Jclear', '\\x1b[2Jclear'],
    ['two\nlines', 'two\\x0alines'],
    ['bell\x07 del\x7f c1\x9b', 'bell\\x07 del\\x7f c1\\x9b'],
    ['line\u2028separator', 'line\\u2028separator'],
    ['plain, tab\tand ünïcødé', 'plain, tab\tand ünïcødé'],
  ])('%j -> %j', (text, shown) => {
    expect(escapeControlCharacters(text)).toBe(shown);
  });

  it('escapes every line of data and every note', async () => {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const out = processOutput(
      stdout as unknown as NodeJS.WriteStream,
      stderr as unknown as NodeJS.WriteStream,
    );
    await out.line('2026-01-01 actor=ak_1 description=x\r2026-01-02 actor=admin');
    out.note('warning \x1b]0;title\x07');
    expect(String(stdout.read())).toBe(
      '2026-01-01 actor=ak_1 description=x\\x0d2026-01-02 actor=admin\n',
    );
    expect(String(stderr.read())).toBe('warning \\x1b]0;title\\x07\n');
  });
});
