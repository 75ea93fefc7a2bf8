import { RpcException } from '@nestjs/microservices';
import {
  DataKeyVault,
  fingerprintOf,
  generateKekRingText,
  hintOf,
  openSecret,
  parseKekRing,
} from '@rotor/crypto';
import { endpointStreamName, type SealedKey } from '@rotor/domain';
import { SqliteEventStore } from '@rotor/event-store';
import { randomBytes } from 'node:crypto';
import { EndpointCommandsService } from './endpoint-commands.service';

const meta = { actor: 'test', requestId: 'req-1' };
const whsec = (bytes: number) => `whsec_${randomBytes(bytes).toString('base64')}`;

/** The error a command was refused with, or 'resolved'. */
const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => ({ code: 'resolved', message: '', param: undefined as string | undefined }),
    (error: unknown) =>
      (
        (error as RpcException).getError() as {
          error: { code: string; message: string; param?: string };
        }
      ).error,
  );

describe('supplied secrets (import) in the command service', () => {
  let store: SqliteEventStore;
  let vault: DataKeyVault;
  let commands: EndpointCommandsService;
  const now = new Date('2026-01-01T00:00:00.000Z');

  beforeEach(() => {
    store = new SqliteEventStore(':memory:');
    const kekRing = parseKekRing(generateKekRingText());
    vault = new DataKeyVault(store, kekRing);
    commands = new EndpointCommandsService(store, vault, () => now, kekRing);
  });
  afterEach(() => store.close());

  const stored = async (endpointId: string) => store.read(endpointStreamName(endpointId));
  const keyOf = (data: unknown) => (data as { key: SealedKey }).key;

  it('given a supplied secret, when registered, then it is sealed as an imported HMAC key and never handed back', async () => {
    const secret = whsec(32);

    const reply = await commands.register({
      meta: { ...meta, idempotencyKey: 'import-1' },
      tenantId: 'acme',
      url: 'https://x.test/hook',
      secret,
    });

    expect(reply.secret).toBeUndefined();
    expect(reply.endpoint.keys[0]).toMatchObject({
      hint: hintOf(secret),
      fingerprint: fingerprintOf(secret),
      signing: 'hmac-sha256',
      origin: 'imported',
    });
    const [event] = await stored(reply.endpoint.id);
    const key = keyOf(event.data);
    expect(key).toMatchObject({ origin: 'imported', algorithm: 'hmac-sha256' });
    const dataKey = vault.unwrap((await vault.get(reply.endpoint.id))!);
    expect(openSecret(reply.endpoint.id, key, dataKey)).toBe(secret);
    // Neither the secret nor its key material is anywhere in the store's events.
    const everything = JSON.stringify(await stored(reply.endpoint.id));
    expect(everything).not.toContain(secret.slice('whsec_'.length, 30));
    // A retry replays without the secret either.
    const retried = await commands.register({
      meta: { ...meta, idempotencyKey: 'import-1' },
      tenantId: 'acme',
      url: 'https://x.test/hook',
      secret,
    });
    expect(retried).toEqual({ ...reply, replayed: true });
  });

  it.each([
    ['a wrong prefix', `whsk_${randomBytes(32).toString('base64')}`, /start with whsec_/],
    ['no prefix', randomBytes(32).toString('base64'), /start with whsec_/],
    ['bad base64', `whsec_${randomBytes(32).toString('base64').slice(0, 40)}!!!!`, /base64/],
    ['too short (23 bytes)', whsec(23), /24 to 64 bytes/],
    ['too long (65 bytes)', whsec(65), /24 to 64 bytes/],
  ])(
    'given a secret with %s, when registered or rotated to, then it is refused naming the field, never quoting it',
    async (_what, secret, reason) => {
      const registered = await refusal(commands.register({ meta, tenantId: 'acme', secret }));
      const { endpoint } = await commands.register({ meta, tenantId: 'acme' });
      const rotated = await refusal(commands.rotate({ meta, endpointId: endpoint.id, secret }));

      for (const error of [registered, rotated]) {
        expect(error).toMatchObject({ code: 'invalid_command', param: 'secret' });
        expect(error.message).toMatch(reason);
        expect(JSON.stringify(error)).not.toContain(secret.slice(6, 20));
      }
    },
  );

  it.each([24, 64])(
    'given a secret of %i bytes, when registered, then it is accepted',
    async (n) => {
      const reply = await commands.register({ meta, tenantId: 'acme', secret: whsec(n) });
      expect(reply.endpoint.keys[0].origin).toBe('imported');
    },
  );

  it('given a supplied secret and Ed25519 signing, when registered, then it is refused', async () => {
    const error = await refusal(
      commands.register({ meta, tenantId: 'acme', secret: whsec(32), signing: 'ed25519' }),
    );
    expect(error).toMatchObject({ code: 'invalid_command', param: 'signing' });
  });

  it('given an endpoint, when rotated to a supplied secret, then the new key is imported and not handed back, the old one generated', async () => {
    const { endpoint } = await commands.register({ meta, tenantId: 'acme' });
    const secret = whsec(48);

    const reply = await commands.rotate({ meta, endpointId: endpoint.id, secret });

    expect(reply.secret).toBeUndefined();
    const events = await stored(endpoint.id);
    expect(events.map((e) => keyOf(e.data).origin)).toEqual(['generated', 'imported']);
    const dataKey = vault.unwrap((await vault.get(endpoint.id))!);
    expect(openSecret(endpoint.id, keyOf(events[1].data), dataKey)).toBe(secret);
  });

  it('given an Ed25519 endpoint, when rotated to a supplied secret, then it switches to HMAC', async () => {
    const { endpoint } = await commands.register({ meta, tenantId: 'acme', signing: 'ed25519' });

    await commands.rotate({ meta, endpointId: endpoint.id, secret: whsec(32) });

    const [, rotated] = await stored(endpoint.id);
    expect(keyOf(rotated.data)).toMatchObject({ algorithm: 'hmac-sha256', origin: 'imported' });
  });

  it('given an external id, when registered twice, then both land on one endpoint: the second is refused', async () => {
    const first = await commands.register({
      meta,
      tenantId: 'acme',
      externalId: 'cust_42/hook 7',
      secret: whsec(32),
    });
    const again = await refusal(
      commands.register({
        meta,
        tenantId: 'acme',
        externalId: 'cust_42/hook 7',
        secret: whsec(32),
      }),
    );
    const otherTenant = await commands.register({
      meta,
      tenantId: 'other',
      externalId: 'cust_42/hook 7',
    });

    expect(first.endpoint.externalId).toBe('cust_42/hook 7');
    expect(again.code).toBe('endpoint_already_exists');
    expect(otherTenant.endpoint.id).not.toBe(first.endpoint.id);
  });

  it('given a we_ id and an external id, when registered, then the id is the one supplied and the external id is kept', async () => {
    const endpointId = `we_${'ab'.repeat(16)}`;

    const reply = await commands.register({ meta, tenantId: 'acme', endpointId, externalId: 'x' });

    expect(reply.endpoint).toMatchObject({ id: endpointId, externalId: 'x' });
  });

  it('given a supplied secret with an idempotency key, when registered, then the request digest in the metadata is not a digest of the plaintext alone', async () => {
    const secret = whsec(32);
    const reply = await commands.register({
      meta: { ...meta, idempotencyKey: 'k' },
      tenantId: 'acme',
      secret,
    });
    const [event] = await stored(reply.endpoint.id);
    expect(JSON.stringify(event.metadata)).not.toContain(secret.slice(6, 30));
    expect(event.metadata).toHaveProperty('requestDigest');
  });
});
