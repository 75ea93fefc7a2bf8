import { Test } from '@nestjs/testing';
import { RpcException } from '@nestjs/microservices';
import {
  DataKeyVault,
  ed25519PublicKeyOf,
  generateKekRingText,
  openSecret,
  parseKekRing,
  type KekRing,
} from '@rotor/crypto';
import {
  EVENT_VERSIONS,
  SCHEDULER_ACTOR,
  endpointStreamName,
  scheduledRotationKey,
  type SealedKey,
} from '@rotor/domain';
import { SqliteEventStore, verifyStream } from '@rotor/event-store';
import { CLOCK, DATA_KEY_VAULT, EVENT_STORE, KEK_RING } from '@rotor/runtime';
import { EndpointCommandsService } from './endpoint-commands.service';

const meta = { actor: 'test', requestId: 'req-1' };
const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (error: unknown) =>
      ((error as RpcException).getError() as { error: { code: string } }).error.code,
  );

describe('EndpointCommandsService (command handling on a real sqlite store)', () => {
  let store: SqliteEventStore;
  let vault: DataKeyVault;
  let kekRing: KekRing;
  let commands: EndpointCommandsService;
  let now = new Date('2026-01-01T00:00:00.000Z');

  beforeEach(async () => {
    store = new SqliteEventStore(':memory:');
    kekRing = parseKekRing(generateKekRingText());
    vault = new DataKeyVault(store, kekRing);
    const module = await Test.createTestingModule({
      providers: [
        EndpointCommandsService,
        { provide: EVENT_STORE, useValue: store },
        { provide: DATA_KEY_VAULT, useValue: vault },
        { provide: KEK_RING, useValue: kekRing },
        { provide: CLOCK, useValue: () => now },
      ],
    }).compile();
    commands = module.get(EndpointCommandsService);
  });
  afterEach(() => store.close());

  it('registers with a sealed secret that only the data key opens, and a valid hash chain', async () => {
    const reply = await commands.register({ meta, tenantId: 'acme', url: 'https://x.test/hook' });
    const [event] = await store.read(endpointStreamName(reply.endpoint.id));
    const key = (event.data as { key: { keyId: string; ciphertext: string } }).key;
    expect(JSON.stringify(event)).not.toContain(reply.secret);
    const dataKey = vault.unwrap((await vault.get(reply.endpoint.id))!);
    expect(openSecret(reply.endpoint.id, key as never, dataKey)).toBe(reply.secret);
    expect(event.metadata).toMatchObject({ actor: 'test', requestId: 'req-1' });
    expect(verifyStream(await store.read(endpointStreamName(reply.endpoint.id)))).toMatchObject({
      ok: true,
    });
  });

  it('refuses another tenant exactly as if the endpoint did not exist', async () => {
    const { endpoint } = await commands.register({ meta, tenantId: 'acme' });
    expect(
      await codeOf(commands.rotate({ meta, tenantId: 'other', endpointId: endpoint.id })),
    ).toBe('endpoint_not_found');
    expect(
      await codeOf(commands.delete({ meta, tenantId: 'other', endpointId: endpoint.id })),
    ).toBe('endpoint_not_found');
  });

  it('reports the previous key and its expiry on rotation, and refuses a second one in the overlap', async () => {
    const { endpoint, keyId } = await commands.register({ meta, tenantId: 'acme' });
    const rotation = await commands.rotate({ meta, endpointId: endpoint.id, expireCurrentIn: 60 });
    expect(rotation).toMatchObject({
      previousKeyId: keyId,
      previousKeyExpiresAt: '2026-01-01T00:01:00.000Z',
    });
    expect(await codeOf(commands.rotate({ meta, endpointId: endpoint.id }))).toBe(
      'rotation_in_progress',
    );
    now = new Date('2026-01-01T00:01:00.000Z');
    expect(await commands.expirePrevious({ meta, endpointId: endpoint.id, keyId })).toEqual({
      endpointId: endpoint.id,
      expired: true,
    });
    expect(await commands.expirePrevious({ meta, endpointId: endpoint.id, keyId })).toEqual({
      endpointId: endpoint.id,
      expired: false,
    });
  });

  it('shreds the data key on delete; the id can never be registered again', async () => {
    const { endpoint } = await commands.register({ meta, tenantId: 'acme' });
    await commands.delete({ meta, endpointId: endpoint.id });
    expect(await vault.get(endpoint.id)).toBeUndefined();
    expect(await codeOf(commands.rotate({ meta, endpointId: endpoint.id }))).toBe(
      'endpoint_not_found',
    );
    expect(
      await codeOf(commands.register({ meta, tenantId: 'acme', endpointId: endpoint.id })),
    ).toBe('endpoint_already_exists');
  });

  it('answers a malformed endpoint id as not found, without touching the store', async () => {
    expect(await codeOf(commands.rotate({ meta, endpointId: 'we_nope' }))).toBe(
      'endpoint_not_found',
    );
  });

  describe('Ed25519 endpoints', () => {
    it('registers with a public key only: the private key is sealed, never in the reply or the store', async () => {
      const reply = await commands.register({ meta, tenantId: 'acme', signing: 'ed25519' });
      const [event] = await store.read(endpointStreamName(reply.endpoint.id));
      const key = (event.data as { key: SealedKey }).key;

      expect(reply.secret).toBeUndefined();
      expect(reply.publicKey).toBe(key.publicKey);
      expect(key).toMatchObject({
        algorithm: 'ed25519',
        publicKey: expect.stringMatching(/^whpk_/),
      });
      expect(event.version).toBe(EVENT_VERSIONS.EndpointRegistered);
      const dataKey = vault.unwrap((await vault.get(reply.endpoint.id))!);
      const privateKey = openSecret(reply.endpoint.id, key, dataKey);
      expect(ed25519PublicKeyOf(privateKey)).toBe(reply.publicKey);
      expect(JSON.stringify(reply)).not.toContain(privateKey.slice(5, 40));
      expect(JSON.stringify(event)).not.toContain(privateKey.slice(5, 40));
    });

    it('rotates an Ed25519 endpoint to Ed25519 unless told otherwise, and switches when told', async () => {
      const { endpoint } = await commands.register({ meta, tenantId: 'acme', signing: 'ed25519' });
      const kept = await commands.rotate({ meta, endpointId: endpoint.id, expireCurrentIn: 0 });
      const switched = await commands.rotate({
        meta,
        endpointId: endpoint.id,
        signing: 'hmac-sha256',
        expireCurrentIn: 0,
      });

      expect(kept).toMatchObject({ publicKey: expect.stringMatching(/^whpk_/) });
      expect(kept.secret).toBeUndefined();
      expect(switched).toMatchObject({ secret: expect.stringMatching(/^whsec_/) });
      expect(switched.publicKey).toBeUndefined();
    });

    it('given a rotation to Ed25519 with K, when retried, then the same public key comes back, replayed', async () => {
      const { endpoint } = await commands.register({ meta, tenantId: 'acme' });
      const rotate = (requestId: string) =>
        commands.rotate({
          meta: { actor: 'key_alice', requestId, idempotencyKey: 'K' },
          endpointId: endpoint.id,
          signing: 'ed25519',
        });
      const first = await rotate('r1');
      const again = await rotate('r2');

      expect(again).toEqual({ ...first, replayed: true });
      expect(first.publicKey).toMatch(/^whpk_/);
    });
  });

  describe('scheduled rotation (rotation policy)', () => {
    const POLICY = { everySeconds: 3600, graceSeconds: 600 };
    const scheduler = (requestId: string, endpointId: string, keyId: string) => ({
      meta: {
        actor: SCHEDULER_ACTOR,
        requestId,
        idempotencyKey: scheduledRotationKey(endpointId, keyId),
      },
      endpointId,
      keyId,
    });

    it('rotates an Ed25519 endpoint once per period: never early; a second instance gets the same reply, replayed', async () => {
      const start = now;
      const registered = await commands.register({
        meta,
        tenantId: 'acme',
        signing: 'ed25519',
        rotationPolicy: POLICY,
      });
      const id = registered.endpoint.id;
      expect(registered.endpoint).toMatchObject({
        rotationPolicy: POLICY,
        rotationDueAt: new Date(start.getTime() + 3600_000).toISOString(),
      });

      now = new Date(start.getTime() + 3599_000);
      expect(await codeOf(commands.rotateOnSchedule(scheduler('r1', id, registered.keyId)))).toBe(
        'rotation_not_due',
      );

      now = new Date(start.getTime() + 3600_000);
      const first = await commands.rotateOnSchedule(scheduler('r2', id, registered.keyId));
      const second = await commands.rotateOnSchedule(scheduler('r3', id, registered.keyId));

      expect(first).toMatchObject({
        endpointId: id,
        previousKeyId: registered.keyId,
        publicKey: expect.stringMatching(/^whpk_/),
        previousKeyExpiresAt: new Date(start.getTime() + 4200_000).toISOString(),
      });
      expect(second).toEqual({ ...first, replayed: true });
      const stream = await store.read(endpointStreamName(id));
      const rotations = stream.filter((e) => e.type === 'SecretRotated');
      expect(rotations).toHaveLength(1);
      expect(rotations[0].metadata).toMatchObject({ actor: SCHEDULER_ACTOR });

      // A day later the idempotency record is gone, yet the period stays rotated once.
      now = new Date(start.getTime() + 3600_000 + 25 * 3600_000);
      expect(await codeOf(commands.rotateOnSchedule(scheduler('r4', id, registered.keyId)))).toBe(
        'rotation_not_due',
      );
    });

    it('refuses to rotate an HMAC endpoint on schedule: it is only marked due, once', async () => {
      const registered = await commands.register({
        meta,
        tenantId: 'acme',
        rotationPolicy: POLICY,
      });
      const id = registered.endpoint.id;
      expect(registered.endpoint.rotationDueAt).toEqual(expect.any(String));
      now = new Date(now.getTime() + 7200_000);
      expect(await codeOf(commands.rotateOnSchedule(scheduler('r1', id, registered.keyId)))).toBe(
        'invalid_command',
      );

      const first = await commands.markRotationDue(scheduler('r2', id, registered.keyId));
      const again = await commands.markRotationDue({
        ...scheduler('r3', id, registered.keyId),
        meta: { actor: SCHEDULER_ACTOR, requestId: 'r3' },
      });

      expect(first).toEqual({ endpointId: id, marked: true });
      expect(again).toEqual({ endpointId: id, marked: false });
      const stream = await store.read(endpointStreamName(id));
      expect(stream.map((e) => [e.type, e.metadata.actor])).toEqual([
        ['EndpointRegistered', 'test'],
        ['SecretRotationDue', SCHEDULER_ACTOR],
      ]);
    });

    it('refuses a policy whose grace is not shorter than its period (invalid_rotation_policy)', async () => {
      expect(
        await codeOf(
          commands.register({
            meta,
            tenantId: 'acme',
            rotationPolicy: { everySeconds: 600, graceSeconds: 600 },
          }),
        ),
      ).toBe('invalid_rotation_policy');
    });
  });

  describe('with an idempotency key', () => {
    const keyed = (requestId: string) => ({ actor: 'key_alice', requestId, idempotencyKey: 'K' });

    it('given a registration with K, when it is retried, then the same endpoint, key and secret come back, replayed, and one event is stored', async () => {
      const first = await commands.register({
        meta: keyed('r1'),
        tenantId: 'acme',
        url: 'https://x.test/h',
      });
      const again = await commands.register({
        meta: keyed('r2'),
        tenantId: 'acme',
        url: 'https://x.test/h',
      });

      expect(first.replayed).toBeUndefined();
      expect(again).toEqual({ ...first, replayed: true });
      expect(await store.read(endpointStreamName(first.endpoint.id))).toHaveLength(1);
      // Another caller's K is another registration.
      const bob = await commands.register({
        meta: { ...keyed('r3'), actor: 'key_bob' },
        tenantId: 'acme',
        url: 'https://x.test/h',
      });
      expect(bob.endpoint.id).not.toBe(first.endpoint.id);
    });

    it('given a rotation with K, when it is retried, then the same key and secret come back and one rotation is stored', async () => {
      const { endpoint } = await commands.register({ meta, tenantId: 'acme' });
      const rotate = (requestId: string) =>
        commands.rotate({
          meta: keyed(requestId),
          tenantId: 'acme',
          endpointId: endpoint.id,
          force: true,
        });
      const first = await rotate('r1');
      now = new Date(now.getTime() + 5000);
      const again = await rotate('r2');

      expect(again).toEqual({ ...first, replayed: true });
      const stream = await store.read(endpointStreamName(endpoint.id));
      expect(stream.filter((e) => e.type === 'SecretRotated')).toHaveLength(1);
      expect(stream.at(-1)?.metadata).toMatchObject({ idempotencyKey: 'K', actor: 'key_alice' });
    });

    it('given a rotation with K, when K comes with another request, then 422 idempotency_key_reused', async () => {
      const { endpoint } = await commands.register({ meta, tenantId: 'acme' });
      await commands.rotate({ meta: keyed('r1'), endpointId: endpoint.id, expireCurrentIn: 60 });
      expect(
        await codeOf(
          commands.rotate({ meta: keyed('r2'), endpointId: endpoint.id, expireCurrentIn: 61 }),
        ),
      ).toBe('idempotency_key_reused');
    });

    it('given a replayed registration of a deleted endpoint, then 404: the secret died with the data key', async () => {
      const request = { meta: keyed('r1'), tenantId: 'acme', url: 'https://x.test/h' };
      const first = await commands.register(request);
      await commands.delete({ meta, tenantId: 'acme', endpointId: first.endpoint.id });

      expect(await codeOf(commands.register({ ...request, meta: keyed('r2') }))).toBe(
        'endpoint_not_found',
      );
    });

    it('given a replayed rotation of a deleted endpoint, then 404', async () => {
      const { endpoint } = await commands.register({ meta, tenantId: 'acme' });
      const rotate = (requestId: string) =>
        commands.rotate({ meta: keyed(requestId), endpointId: endpoint.id });
      await rotate('r1');
      await commands.delete({ meta, endpointId: endpoint.id });
      expect(await codeOf(rotate('r2'))).toBe('endpoint_not_found');
    });

    it('given two concurrent rotations with K, then both answer the same secret and one rotation is stored', async () => {
      const { endpoint } = await commands.register({ meta, tenantId: 'acme' });
      const [a, b] = await Promise.all(
        ['r1', 'r2'].map((requestId) =>
          commands.rotate({ meta: keyed(requestId), endpointId: endpoint.id, force: true }),
        ),
      );
      expect(a.secret).toBe(b.secret);
      expect([a.replayed, b.replayed].sort()).toEqual([true, undefined]);
      const stream = await store.read(endpointStreamName(endpoint.id));
      expect(stream.filter((e) => e.type === 'SecretRotated')).toHaveLength(1);
    });

    it("given a second command instance with a stale cache, when it gets the retry, then it replays the first instance's rotation", async () => {
      const other = new EndpointCommandsService(store, vault, () => now, kekRing);
      const { endpoint } = await commands.register({ meta, tenantId: 'acme' });
      // The other instance caches the stream before the first execution exists.
      await other.revokePrevious({ meta, endpointId: endpoint.id });
      const first = await commands.rotate({ meta: keyed('r1'), endpointId: endpoint.id });
      const retried = await other.rotate({ meta: keyed('r2'), endpointId: endpoint.id });

      expect(retried).toEqual({ ...first, replayed: true });
      const stream = await store.read(endpointStreamName(endpoint.id));
      expect(stream.filter((e) => e.type === 'SecretRotated')).toHaveLength(1);
    });

    it('replays a revocation with the view it answered first', async () => {
      const { endpoint } = await commands.register({ meta, tenantId: 'acme' });
      await commands.rotate({ meta, endpointId: endpoint.id });
      const first = await commands.revokePrevious({ meta: keyed('r1'), endpointId: endpoint.id });
      await commands.rotate({ meta, endpointId: endpoint.id });
      const again = await commands.revokePrevious({ meta: keyed('r2'), endpointId: endpoint.id });
      expect(again).toEqual({ ...first, replayed: true });
    });
  });
});
