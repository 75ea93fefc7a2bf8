import {
  DataKeyVault,
  openSecret,
  parseKekRing,
  signatureHeaders,
  secretBytes,
  verifySignature,
} from '@rotor/crypto';
import { endpointStreamName, type SealedKey } from '@rotor/domain';
import { join } from 'node:path';
import {
  commandService,
  kekRingText,
  meta,
  runCli,
  tempStore,
  withRing,
  type TempStore,
} from './cli-fixture';

/** KEK rotation end to end: add a primary, re-wrap (crashing half way), drop the old KEK. */
describe('cli keys rewrap (child process, sqlite)', () => {
  const ring1 = kekRingText('kek-1');
  const ring2 = withRing(ring1, { primary: 'kek-2', add: ['kek-2'] });
  const ring3 = withRing(ring2, { remove: ['kek-1'] });
  let store: TempStore;
  const live: { endpointId: string; secret: string }[] = [];

  beforeAll(async () => {
    store = tempStore();
    const events = store.open();
    const { service } = commandService(events, ring1);
    for (let i = 0; i < 5; i++) {
      const reply = await service.register({ meta: meta(), tenantId: 'acme' });
      live.push({ endpointId: reply.endpoint.id, secret: reply.secret });
    }
    await service.delete({ meta: meta(), endpointId: live.pop()!.endpointId });
    await events.close();
  });
  afterAll(() => store.remove());

  const secretsUnder = async (ringText: string) => {
    const events = store.open();
    try {
      const vault = new DataKeyVault(events, parseKekRing(ringText));
      const opened: string[] = [];
      for (const { endpointId } of live) {
        const [registered] = await events.read(endpointStreamName(endpointId));
        const key = (registered.data as { key: SealedKey }).key;
        opened.push(openSecret(endpointId, key, vault.unwrap((await vault.get(endpointId))!)));
      }
      return opened;
    } finally {
      await events.close();
    }
  };

  it('resumes after a crash, then the old KEK can leave the ring and every secret still signs', async () => {
    const crashed = await runCli(
      ['keys', 'rewrap'],
      { SQLITE_PATH: store.path, ROTOR_KEK_RING: ring2, CRASH_AFTER_REWRAPS: '2' },
      {
        preload: join(__dirname, 'crash-after-rewraps.ts'),
      },
    );
    expect(crashed.signal).toBe('SIGKILL');
    // Half done: the old KEK cannot be dropped yet.
    await expect(secretsUnder(ring3)).rejects.toThrow();

    const resumed = await runCli(['keys', 'rewrap', '--json'], {
      SQLITE_PATH: store.path,
      ROTOR_KEK_RING: ring2,
    });
    expect(resumed.code).toBe(0);
    expect(JSON.parse(resumed.stdout)).toMatchObject({
      rewrapped: 2,
      already_primary: 2,
      shredded: 1,
      failed: 0,
    });

    const opened = await secretsUnder(ring3);
    expect(opened).toEqual(live.map((l) => l.secret));
    for (const secret of opened) {
      const headers = signatureHeaders({
        msgId: 'msg_1',
        timestamp: 1_800_000_000,
        payload: '{}',
        secrets: [secretBytes(secret)],
      });
      expect(
        verifySignature({ headers, payload: '{}', secrets: [secret], now: 1_800_000_000 }),
      ).toMatchObject({ ok: true });
    }
    // New endpoints made after the rotation use the new primary, with the old KEK gone.
    const events = store.open();
    const { service } = commandService(events, ring3);
    const fresh = await service.register({ meta: meta(), tenantId: 'acme' });
    await events.close();
    expect(fresh.secret).toMatch(/^whsec_/);
  });

  it('reports a data key whose KEK is not in the ring, and exits 1', async () => {
    const run = await runCli(['keys', 'rewrap'], {
      SQLITE_PATH: store.path,
      ROTOR_KEK_RING: kekRingText('kek-9'),
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/cannot re-wrap the data key of we_/);
  });
});

describe('cli api-keys (child process, sqlite)', () => {
  let store: TempStore;
  const env = () => ({ SQLITE_PATH: store.path, ROTOR_KEK_RING: kekRingText('kek-1') });
  beforeAll(() => {
    store = tempStore();
  });
  afterAll(() => store.remove());

  it('creates a key shown once, lists it without its hash, and revokes it', async () => {
    const created = await runCli(
      ['api-keys', 'create', '--tenant', 'acme', '--scopes', 'endpoints:read,audit:read', '--json'],
      env(),
    );
    expect(created.code).toBe(0);
    const key = JSON.parse(created.stdout);
    expect(key).toMatchObject({
      tenant_id: 'acme',
      scopes: ['endpoints:read', 'audit:read'],
      key: expect.stringMatching(/^rk_[A-Za-z0-9_-]{43}$/),
    });

    const listed = await runCli(['api-keys', 'list', '--json'], env());
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain(key.id);
    expect(listed.stdout).not.toContain(key.key);
    expect(listed.stdout).not.toMatch(/hash/i);

    expect((await runCli(['api-keys', 'revoke', key.id], env())).code).toBe(0);
    const after = await runCli(['api-keys', 'list', '--json'], env());
    expect(after.stdout).toMatch(/revoked/);
  });

  it('refuses unknown scopes and malformed tenants with exit 2', async () => {
    const [scope, tenant] = await Promise.all([
      runCli(['api-keys', 'create', '--tenant', 'acme', '--scopes', 'everything'], env()),
      runCli(['api-keys', 'create', '--tenant', 'Not A Tenant', '--scopes', 'audit:read'], env()),
    ]);
    expect(scope).toMatchObject({ code: 2, stderr: expect.stringMatching(/scope/) });
    expect(tenant).toMatchObject({ code: 2, stderr: expect.stringMatching(/tenant/) });
  });
});
