import {
  DATA_KEY_STREAM_PREFIX,
  DataKeyVault,
  openSecret,
  parseKekRing,
  secretBytes,
  signatureHeaders,
  verifySignature,
} from '@rotor/crypto';
import { endpointStreamName, upcast, type SealedKey } from '@rotor/domain';
import { START, type EventStore } from '@rotor/event-store';
import {
  commandService,
  kekRingText,
  meta,
  runCli,
  tempStore,
  withRing,
  type TempStore,
} from './cli-fixture';

/**
 * KEK rotation end to end: endpoints sealed under an old KEK, a new primary added, `keys
 * rewrap` run as a child process, the old KEK removed; every live secret still opens and
 * signs. Then a re-wrap killed midway, finished by a second run.
 */
describe('cli keys rewrap (child process, sqlite)', () => {
  let store: TempStore;
  afterEach(() => store.remove());

  /** endpoint id -> every secret it was given, by key id. */
  type Secrets = Map<string, Map<string, string>>;

  const register = async (events: EventStore, ring: string, count: number, secrets: Secrets) => {
    const { service } = commandService(events, ring);
    for (let n = 0; n < count; n += 1) {
      const reply = await service.register({
        meta: meta(),
        tenantId: 'acme',
        url: `https://${n}.example`,
      });
      secrets.set(reply.endpoint.id, new Map([[reply.keyId, reply.secret!]]));
    }
    return service;
  };

  /** Opens every key of every endpoint with `ring` alone, signs with it, verifies with the original secret. */
  const expectSecretsOpen = async (events: EventStore, ring: string, secrets: Secrets) => {
    const vault = new DataKeyVault(events, parseKekRing(ring));
    for (const [endpointId, keys] of secrets) {
      const wrapped = await vault.get(endpointId);
      expect(wrapped?.kekId).toBe(parseKekRing(ring).primaryId);
      const dataKey = vault.unwrap(wrapped!);
      const sealed: SealedKey[] = (await events.read(endpointStreamName(endpointId)))
        .map(upcast)
        .flatMap((event) => ('key' in event.data ? [event.data.key] : []));
      expect(sealed.map((key) => key.keyId).sort()).toEqual([...keys.keys()].sort());
      for (const key of sealed) {
        const secret = openSecret(endpointId, key, dataKey);
        expect(secret).toBe(keys.get(key.keyId));
        const now = Math.floor(Date.now() / 1000);
        const headers = signatureHeaders({
          msgId: 'msg_1',
          timestamp: now,
          payload: '{"a":1}',
          secrets: [secretBytes(secret)],
        });
        expect(
          verifySignature({ headers, payload: '{"a":1}', secrets: [keys.get(key.keyId)!], now }),
        ).toEqual({ ok: true, matchedIndex: 0 });
      }
    }
  };

  const dataKeyEventTypes = async (events: EventStore) => {
    const types: string[] = [];
    for await (const event of events.readAll(START, { streamPrefixes: [DATA_KEY_STREAM_PREFIX] }))
      types.push(event.type);
    return types;
  };

  it('given a new primary KEK, then old and new endpoints open and sign once the old KEK is gone', async () => {
    store = tempStore();
    const oldRing = kekRingText('kek-old');
    const rotatedRing = withRing(oldRing, { add: ['kek-new'], primary: 'kek-new' });
    const newOnly = withRing(rotatedRing, { remove: ['kek-old'] });
    const secrets: Secrets = new Map();

    let events = store.open();
    const before = await register(events, oldRing, 3, secrets);
    const [first] = secrets.keys();
    const rotated = await before.rotate({ meta: meta(), endpointId: first, expireCurrentIn: 600 });
    secrets.get(first)!.set(rotated.keyId, rotated.secret!);
    const doomed = new Map() as Secrets;
    await register(events, oldRing, 1, doomed);
    const [deleted] = doomed.keys();
    await before.delete({ meta: meta(), endpointId: deleted });
    // A registration refused after its data key was made leaves an orphan data key: it is
    // re-wrapped too (a retry with the same endpoint id would need it).
    await expect(before.register({ meta: meta(), tenantId: 'Not A Tenant' })).rejects.toBeDefined();
    // Services restarted with the rotated ring: new endpoints get data keys under kek-new.
    await register(events, rotatedRing, 2, secrets);
    await events.close();

    // The old KEK removed too early: the run says which data keys it cannot open (exit 1).
    const early = await runCli(['keys', 'rewrap', '--json'], {
      SQLITE_PATH: store.path,
      ROTOR_KEK_RING: newOnly,
    });
    expect(early.code).toBe(1);
    expect(JSON.parse(early.stdout)).toMatchObject({ rewrapped: 0, already_primary: 2, failed: 4 });
    expect(early.stderr.match(/cannot re-wrap/g)).toHaveLength(4);
    expect(early.stderr).toMatch(
      /cannot re-wrap the data key of we_[0-9a-f]{32}: KEK "kek-old" is not in the configured KEK ring/,
    );

    const run = await runCli(['keys', 'rewrap', '--json'], {
      SQLITE_PATH: store.path,
      ROTOR_KEK_RING: rotatedRing,
    });
    expect(run.code).toBe(0);
    // 3 endpoints and the orphan re-wrapped, 2 already under kek-new, the deleted one shredded.
    expect(JSON.parse(run.stdout)).toMatchObject({
      rewrapped: 4,
      already_primary: 2,
      shredded: 1,
      failed: 0,
      primary_kek_id: 'kek-new',
    });

    const again = await runCli(['keys', 'rewrap'], {
      SQLITE_PATH: store.path,
      ROTOR_KEK_RING: newOnly,
    });
    expect(again.code).toBe(0);
    expect(again.stdout).toBe(
      're-wrapped 0 data key(s) under KEK kek-new; 6 already under it, 1 shredded (deleted endpoints), 0 failed\n',
    );
    expect(again.stderr).toMatch(/^read \d+ events in/m);

    events = store.open();
    await expectSecretsOpen(events, newOnly, secrets);
    await events.close();
    const printed = run.stdout + run.stderr + again.stdout + again.stderr;
    for (const keys of secrets.values())
      for (const secret of keys.values()) expect(printed).not.toContain(secret);
  });

  it('given a re-wrap killed midway, then running it again finishes the job', async () => {
    store = tempStore();
    const oldRing = kekRingText('kek-old');
    const rotatedRing = withRing(oldRing, { add: ['kek-new'], primary: 'kek-new' });
    const secrets: Secrets = new Map();
    let events = store.open();
    await register(events, oldRing, 12, secrets);
    await events.close();
    const env = { SQLITE_PATH: store.path, ROTOR_KEK_RING: rotatedRing };

    const crashed = await runCli(
      ['keys', 'rewrap', '--json'],
      { ...env, ROTOR_TEST_CRASH_AFTER_REWRAPS: '5' },
      {
        preload: './services/cli/test/crash-after-rewraps.ts',
      },
    );
    expect(crashed).toMatchObject({ code: null, signal: 'SIGKILL', stdout: '' });
    events = store.open();
    expect(
      (await dataKeyEventTypes(events)).filter((type) => type === 'DataKeyRewrapped'),
    ).toHaveLength(5);
    await events.close();

    const resumed = await runCli(['keys', 'rewrap', '--json'], env);
    expect(resumed.code).toBe(0);
    expect(JSON.parse(resumed.stdout)).toMatchObject({
      rewrapped: 7,
      already_primary: 5,
      shredded: 0,
      failed: 0,
    });

    // Each data key was re-wrapped exactly once, every chain is intact, every secret opens
    // without the old KEK.
    events = store.open();
    const types = await dataKeyEventTypes(events);
    expect(types.filter((type) => type === 'DataKeyRewrapped')).toHaveLength(12);
    await expectSecretsOpen(events, withRing(rotatedRing, { remove: ['kek-old'] }), secrets);
    await events.close();
    const verify = await runCli(['audit', 'verify'], env);
    expect(verify).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/every hash chain is intact/),
    });
  });
});
