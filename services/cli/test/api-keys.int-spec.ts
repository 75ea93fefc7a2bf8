import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { API_KEY_PATTERN, hashApiKey } from '@rotor/access';
import { kekRingText, runCli, tempStore, type TempStore } from './cli-fixture';

/** `api-keys` and the configuration every command shares, run as child processes. */
describe('cli api-keys (child process, sqlite)', () => {
  let store: TempStore;
  const env = () => ({ SQLITE_PATH: store.path });

  beforeAll(() => {
    store = tempStore();
  });
  afterAll(() => store.remove());

  it('creates, lists and revokes keys; the key is printed once and only its hash is stored', async () => {
    const created = await runCli(
      [
        'api-keys',
        'create',
        '--tenant',
        'acme',
        '--scopes',
        'endpoints:read, audit:read',
        '--name',
        'ci',
        '--json',
      ],
      env(),
    );
    expect(created.code).toBe(0);
    const key = JSON.parse(created.stdout);
    expect(key).toEqual({
      id: expect.stringMatching(/^ak_[0-9a-f]{16}$/),
      tenant_id: 'acme',
      scopes: ['endpoints:read', 'audit:read'],
      name: 'ci',
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      revoked_at: null,
      key: expect.stringMatching(API_KEY_PATTERN),
    });

    const plain = await runCli(
      ['api-keys', 'create', '--tenant', 'globex', '--scopes', 'secrets:rotate'],
      env(),
    );
    expect(plain.code).toBe(0);
    // stdout holds the key alone, for `KEY=$(npm run -s cli -- api-keys create ...)`.
    expect(plain.stdout).toMatch(new RegExp(`^${API_KEY_PATTERN.source.slice(1, -1)}\\n$`));
    expect(plain.stderr).toMatch(
      /created API key ak_[0-9a-f]{16} for tenant globex \(scopes secrets:rotate\); shown once/,
    );

    const [revoked, unknown] = await Promise.all([
      runCli(['api-keys', 'revoke', key.id], env()),
      runCli(['api-keys', 'revoke', 'ak_0000000000000000'], env()),
    ]);
    expect(revoked).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(new RegExp(`^revoked API key ${key.id} \\(tenant acme\\) at `)),
    });
    expect(unknown).toMatchObject({
      code: 1,
      stderr: 'error: API key ak_0000000000000000 not found\n',
    });

    const [again, list, table] = await Promise.all([
      runCli(['api-keys', 'revoke', key.id, '--json'], env()),
      runCli(['api-keys', 'list', '--json'], env()),
      runCli(['api-keys', 'list', '--tenant', 'acme'], env()),
    ]);
    expect(again.code).toBe(0);
    const revokedAt = JSON.parse(again.stdout).revoked_at;
    expect(revokedAt).toEqual(expect.stringMatching(/^\d{4}-/));
    const listed = JSON.parse(list.stdout);
    const { key: _shownOnce, ...record } = key;
    expect(listed).toEqual([
      { ...record, revoked_at: revokedAt },
      expect.objectContaining({
        tenant_id: 'globex',
        scopes: ['secrets:rotate'],
        revoked_at: null,
      }),
    ]);
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')).toEqual([
      expect.stringMatching(/^ID +TENANT +SCOPES +NAME +CREATED +REVOKED$/),
      expect.stringMatching(
        new RegExp(
          `^${key.id}  acme +endpoints:read,audit:read  ci +${key.created_at}  ${revokedAt}$`,
        ),
      ),
      '',
    ]);

    const printed = [list, table, again, revoked].map((run) => run.stdout + run.stderr).join('');
    expect(printed).not.toContain(key.key);
    expect(printed).not.toContain(hashApiKey(key.key));
    store.sql(store.path, (db) => {
      const stored = (db.prepare('SELECT data FROM events').all() as { data: string }[])
        .map((row) => row.data)
        .join();
      expect(stored).not.toContain(key.key);
      expect(stored).toContain(hashApiKey(key.key));
    });
  });

  it('uses the development KEK ring of ROTOR_DATA_DIR when none is configured (all-in-one mode)', async () => {
    const dataDir = join(store.dir, 'data');
    const missing = await runCli(['keys', 'rewrap'], {
      SQLITE_PATH: store.path,
      ROTOR_DATA_DIR: dataDir,
    });
    expect(missing).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^error: no KEK ring: set ROTOR_KEK_RING/),
    });

    mkdirSync(dataDir);
    writeFileSync(join(dataDir, 'kek-ring.dev.json'), kekRingText('dev-2025-01-01'));
    const run = await runCli(['keys', 'rewrap', '--json'], {
      SQLITE_PATH: store.path,
      ROTOR_DATA_DIR: dataDir,
    });
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(
      `using the development KEK ring ${join(dataDir, 'kek-ring.dev.json')}`,
    );
    expect(JSON.parse(run.stdout)).toMatchObject({
      primary_kek_id: 'dev-2025-01-01',
      rewrapped: 0,
    });
  });
});
