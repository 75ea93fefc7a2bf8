import { describeWithNats, waitFor } from '@rotor/testing';
import { connect, type NatsConnection } from 'nats';
import { Webhook } from 'standardwebhooks';
import { RotorServices } from './rotor-services';

/**
 * The NATS API as the README documents it ("The NATS API"), from a client that knows
 * nothing of Rotor's code or of Nest: plain nats.js, subjects `<subject>.<caller>`, the
 * inbox prefix `_INBOX_<caller>`, bare JSON both ways. Every subject, each with its reply.
 */
// The operator's identity: the one internal caller that may send every command.
const CALLER = 'cli';
const encoder = new TextEncoder();
const decoder = new TextDecoder();

type Json = Record<string, any>;

describeWithNats('the NATS API, from a plain nats.js client', (natsUrl) => {
  let rotor: RotorServices;
  let nc: NatsConnection;
  let requests = 0;

  beforeAll(async () => {
    rotor = new RotorServices(natsUrl());
    await rotor.start('command', 'projector', 'signer', 'query');
    nc = await connect({ servers: natsUrl(), inboxPrefix: `_INBOX_${CALLER}` });
  });
  afterAll(async () => {
    await nc?.drain();
    await rotor.close();
  });

  /** What the README says a caller does: JSON in, JSON out, on `<subject>.<caller>`. */
  const call = async (subject: string, request: unknown): Promise<Json> => {
    const reply = await nc.request(
      `${subject}.${CALLER}`,
      encoder.encode(JSON.stringify(request)),
      { timeout: 5_000 },
    );
    return JSON.parse(decoder.decode(reply.data)) as Json;
  };
  const meta = () => ({ actor: CALLER, requestId: `readme-${++requests}` });
  const succeeded = (reply: Json) => (reply.error === undefined ? reply : undefined);

  it('calls every subject and gets its reply', async () => {
    const registered = await call('rotor.command.register-endpoint', {
      meta: meta(),
      tenantId: 'acme',
      url: 'https://example.com/hooks',
    });
    expect(registered).toMatchObject({
      endpoint: { id: expect.stringMatching(/^we_/), tenantId: 'acme' },
      keyId: expect.stringMatching(/^key_/),
      secret: expect.stringMatching(/^whsec_/),
    });
    const endpointId = registered.endpoint.id as string;

    const rotated = await call('rotor.command.rotate-secret', {
      meta: meta(),
      tenantId: 'acme',
      endpointId,
      expireCurrentIn: 3600,
    });
    expect(rotated).toMatchObject({ endpointId, previousKeyId: registered.keyId });
    // The same mistake gets the same code as over REST (gateway.e2e-spec).
    const tooLong = await call('rotor.command.rotate-secret', {
      meta: meta(),
      tenantId: 'acme',
      endpointId,
      expireCurrentIn: 86_401,
    });
    expect(tooLong.error).toMatchObject({
      code: 'invalid_grace_period',
      status: 422,
      param: 'expireCurrentIn',
    });

    const sign = {
      endpointId,
      msgId: 'msg_1',
      timestamp: Math.floor(Date.now() / 1000),
      payload: '{"a":1}',
    };
    const signed = await waitFor(async () => {
      const reply = await call('rotor.signer.sign', sign);
      return reply.headers?.['webhook-signature']?.split(' ').length === 2 ? reply : undefined;
    }, 'the signer to sign with both keys');
    for (const secret of [registered.secret, rotated.secret])
      expect(() => new Webhook(secret).verify(sign.payload, signed.headers)).not.toThrow();

    const batch = await call('rotor.signer.sign-batch', { items: [sign, sign] });
    expect(batch.results).toHaveLength(2);
    expect(batch.results[0].headers).toEqual(signed.headers);
    // Signing for a tenant: its own endpoint signs the same; another's is not found.
    const asAcme = await call('rotor.signer.sign', { ...sign, tenantId: 'acme' });
    expect(asAcme.headers).toEqual(signed.headers);
    const asGlobex = await call('rotor.signer.sign', { ...sign, tenantId: 'globex' });
    expect(asGlobex.error).toMatchObject({ code: 'endpoint_not_found', status: 404 });

    const view = await waitFor(async () => {
      const reply = succeeded(
        await call('rotor.query.get-endpoint', { tenantId: 'acme', endpointId }),
      );
      return reply?.keys?.length === 2 ? reply : undefined;
    }, 'the query service to see the rotation');
    expect(view).toMatchObject({ id: endpointId, url: 'https://example.com/hooks' });
    expect(await call('rotor.query.list-endpoints', { tenantId: 'acme', limit: 10 })).toMatchObject(
      {
        data: [expect.objectContaining({ id: endpointId })],
      },
    );
    const keys = await call('rotor.query.list-keys', { tenantId: 'acme', endpointId });
    expect(keys.data.map((k: Json) => k.keyId)).toEqual([rotated.keyId, registered.keyId]);
    expect(JSON.stringify(keys)).not.toContain(rotated.secret);
    const history = await call('rotor.query.get-history', { tenantId: 'acme', endpointId });
    expect(history.data.map((e: Json) => e.type)).toEqual(['EndpointRegistered', 'SecretRotated']);

    const revoked = await call('rotor.command.revoke-previous-secret', {
      meta: meta(),
      tenantId: 'acme',
      endpointId,
    });
    expect(revoked.endpoint).toMatchObject({ id: endpointId });

    // The scheduler's subject: the key was revoked already, so there is nothing to expire.
    const expired = await call('rotor.command.expire-previous-secret', {
      meta: meta(),
      endpointId,
      keyId: registered.keyId,
    });
    expect(expired).toEqual({ endpointId, expired: false });

    expect(
      await call('rotor.command.delete-endpoint', { meta: meta(), tenantId: 'acme', endpointId }),
    ).toEqual({ endpointId });
  });

  it('an error is {"error": ErrorBody}; a body that is not a JSON object is a 400', async () => {
    const refused = await call('rotor.query.get-endpoint', {
      tenantId: 'acme',
      endpointId: 'we_nope',
    });
    expect(refused).toEqual({
      error: expect.objectContaining({
        code: 'invalid_request',
        status: 422,
        errors: expect.any(Array),
      }),
    });
    const reply = await nc.request(`rotor.signer.sign.${CALLER}`, encoder.encode('not json'), {
      timeout: 5_000,
    });
    expect(JSON.parse(decoder.decode(reply.data))).toEqual({
      error: {
        code: 'invalid_request',
        message: 'the request is not valid JSON',
        status: 400,
        errors: [],
      },
    });
  });

  it('an unknown signing scheme is an error reply naming signing; ed25519 replies a public key, no secret', async () => {
    const refused = await call('rotor.command.register-endpoint', {
      meta: meta(),
      tenantId: 'acme',
      signing: 'rsa',
    });
    expect(refused).toEqual({
      error: expect.objectContaining({
        code: 'invalid_request',
        status: 422,
        errors: [expect.objectContaining({ field: 'signing' })],
      }),
    });
    const registered = await call('rotor.command.register-endpoint', {
      meta: meta(),
      tenantId: 'acme',
      signing: 'ed25519',
    });
    expect(registered.secret).toBeUndefined();
    expect(registered.publicKey).toMatch(/^whpk_/);
  });

  it('given a supplied secret, when registered and rotated to over NATS, then no reply hands it back, a malformed one is refused by field without its value, and the endpoint signs with it', async () => {
    const secret = `whsec_${Buffer.alloc(40, 0x5a).toString('base64')}`;
    const malformed = `whsec_${Buffer.alloc(20, 0x3c).toString('base64')}`;

    const registered = await call('rotor.command.register-endpoint', {
      meta: meta(),
      tenantId: 'acme',
      url: 'https://example.com/hooks',
      secret,
      externalId: 'nats-import-1',
    });
    const refused = await call('rotor.command.register-endpoint', {
      meta: meta(),
      tenantId: 'acme',
      secret: malformed,
    });
    const endpointId = registered.endpoint.id as string;
    const rotatedTo = `whsec_${Buffer.alloc(32, 0x11).toString('base64')}`;
    const rotated = await call('rotor.command.rotate-secret', {
      meta: meta(),
      tenantId: 'acme',
      endpointId,
      secret: rotatedTo,
      expireCurrentIn: 0,
    });

    expect(registered.secret).toBeUndefined();
    expect(registered.endpoint).toMatchObject({
      externalId: 'nats-import-1',
      keys: [{ origin: 'imported', signing: 'hmac-sha256' }],
    });
    expect(refused.error).toMatchObject({
      code: 'invalid_request',
      status: 422,
      errors: [expect.objectContaining({ field: 'secret' })],
    });
    expect(JSON.stringify(refused)).not.toContain(malformed.slice(6));
    expect(rotated.error).toBeUndefined();
    expect(rotated.secret).toBeUndefined();
    const sign = {
      endpointId,
      msgId: 'msg_imported',
      timestamp: Math.floor(Date.now() / 1000),
      payload: '{"a":1}',
    };
    await waitFor(async () => {
      const signed = succeeded(await call('rotor.signer.sign', sign));
      if (!signed) return false;
      new Webhook(rotatedTo).verify(sign.payload, signed.headers as Record<string, string>);
      return true;
    }, 'the signer signing with the supplied secret');
  });

  it('the bare subject, without a caller, has no responders', async () => {
    await expect(
      nc.request('rotor.signer.sign', encoder.encode('{}'), { timeout: 5_000 }),
    ).rejects.toMatchObject({ code: '503' });
  });
});
