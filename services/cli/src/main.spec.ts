import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { main } from './main';
import type { Output } from './output';

/**
 * The command line's contract with scripts, in process: help, usage and configuration
 * errors never reach a store (the flows run as child processes in test/*.int-spec.ts).
 */
const capture = () => {
  const out: string[] = [];
  const err: string[] = [];
  const output: Output = {
    line: async (text) => void out.push(`${text}\n`),
    json: async (value) => void out.push(`${JSON.stringify(value)}\n`),
    note: (text) => void err.push(`${text}\n`),
    writeOut: (text) => void out.push(text),
    writeErr: (text) => void err.push(text),
  };
  return { output, stdout: () => out.join(''), stderr: () => err.join('') };
};

const NOWHERE = join(tmpdir(), 'rotor-cli-no-such-dir', 'rotor.sqlite');
const run = async (args: string[], env: NodeJS.ProcessEnv = { SQLITE_PATH: NOWHERE }) => {
  const io = capture();
  const code = await main(['node', 'rotor', ...args], env, io.output);
  return { code, stdout: io.stdout(), stderr: io.stderr() };
};

describe('rotor cli', () => {
  it('prints help for every command with exit 0', async () => {
    for (const args of [
      ['--help'],
      ['help', 'audit'],
      ['api-keys', 'create', '--help'],
      ['api-keys', 'list', '--help'],
      ['api-keys', 'revoke', '--help'],
      ['audit', 'replay', '--help'],
      ['audit', 'verify', '--help'],
      ['keys', 'rewrap', '--help'],
      ['projections', 'rebuild', '--help'],
    ]) {
      const result = await run(args);
      expect(result).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Usage: rotor/) });
    }
    expect((await run(['--help'])).stdout).toMatch(/Exit status: 0 ok, 1 the check failed/);
    expect((await run(['audit', 'verify', '--help'])).stdout).toMatch(
      /anchors \(ROTOR_AUDIT_ANCHOR_FILE\) catch a cut tail, a deleted stream and a rollback/,
    );
    expect((await run(['projections', 'rebuild', '--help'])).stdout).toMatch(
      /STOP THE PROJECTOR FIRST/,
    );
  });

  it.each([
    [[], /Usage: rotor/],
    [['bogus'], /unknown command 'bogus'/],
    [['audit', 'verify', '--bogus'], /unknown option '--bogus'/],
    [
      ['api-keys', 'create', '--tenant', 'acme'],
      /required option '--scopes <scopes>' not specified/,
    ],
    [['api-keys', 'create', '--tenant', 'acme', '--scopes', 'root'], /unknown scope\(s\) root/],
    [['api-keys', 'create', '--tenant', 'ACME', '--scopes', 'audit:read'], /--tenant/],
    [['api-keys', 'revoke', 'key-1'], /not an API key id/],
    [['audit', 'replay', '--since', 'last week'], /--since/],
    [['audit', 'verify', '--endpoint', 'we_1'], /--endpoint/],
  ])('%j is a usage error: exit 2', async (args, message) => {
    const result = await run(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  it('refuses a bad configuration with exit 2, naming the problem', async () => {
    expect(await run(['audit', 'verify'], { EVENT_STORE: 'postgres' })).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/EVENT_STORE must be one of sqlite, esdb/),
    });
    expect(await run(['audit', 'verify'])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^error: no event store at .*rotor-cli-no-such-dir/),
    });
    expect(
      await run(['keys', 'rewrap'], { SQLITE_PATH: NOWHERE, ROTOR_KEK_RING: '{"primary":"k"' }),
    ).toMatchObject({
      code: 2,
      stderr:
        'error: KEK ring: KEK ring is not valid JSON: expected {"primary": "<kek id>", "keys": {"<kek id>": "<base64 of 32 bytes>", ...}}\n',
    });
    expect(
      await run(['keys', 'rewrap'], {
        EVENT_STORE: 'esdb',
        ESDB_CONNECTION_STRING: 'esdb://localhost:2113',
      }),
    ).toMatchObject({
      code: 2,
      stderr: 'error: no KEK ring: set ROTOR_KEK_RING or ROTOR_KEK_RING_FILE\n',
    });
  });
});
