import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A bad KEK ring or a bad setting stops every entry point with one clear message and exit
 * code 2: no stack trace, no secret quoted.
 */
const ROOT = join(__dirname, '..', '..');
const BAD_RING = '{"primary":"k","keys":{"k":"c2VjcmV0"}}';

const run = (entry: string, env: Record<string, string>) =>
  new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const child = spawn(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', entry],
      {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '', ...env },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
    child.once('exit', (code) => resolve({ code, stderr }));
  });

describe('bad configuration: one message, exit 2, in every entry point', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rotor-bad-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['services/all-in-one/src/main.ts', { ROTOR_KEK_RING: BAD_RING, ROTOR_DATA_DIR: dir }],
    ['services/all-in-one/src/main.ts', { ROTOR_KEK_RING: '{"primary"', ROTOR_DATA_DIR: dir }],
    ['services/command/src/main.ts', { ROTOR_KEK_RING: BAD_RING }],
    ['services/signer/src/main.ts', {}],
    ['services/gateway/src/main.ts', { NATS_URL: 'not a url' }],
    ['services/query/src/main.ts', { PORT: 'eighty' }],
  ])(
    '%s with %j',
    async (entry, env) => {
      const { code, stderr } = await run(entry, { LOG_LEVEL: 'error', ...env });
      expect({ code, stderr }).toEqual({
        code: 2,
        stderr: expect.stringMatching(/^invalid configuration:\n {2}- [^\n]+\n$/),
      });
      expect(stderr).not.toMatch(/\n\s+at |c2VjcmV0/);
    },
    60_000,
  );
});
