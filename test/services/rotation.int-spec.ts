import {
  SUBJECTS,
  type RegisterEndpointReply,
  type RotateSecretReply,
  type SignReply,
} from '@rotor/contracts';
import { endpointStreamName } from '@rotor/domain';
import { verifyStream } from '@rotor/event-store';
import { describeWithNats, waitFor } from '@rotor/testing';
import { Webhook } from 'standardwebhooks';
import { randomUUID } from 'node:crypto';
import { RotorServices } from './rotor-services';

const meta = () => ({ actor: 'test-suite', requestId: randomUUID() });

describeWithNats('rotation over NATS with a real store', (natsUrl) => {
  let rotor: RotorServices;

  beforeAll(async () => {
    rotor = new RotorServices(natsUrl());
    await rotor.start('command', 'projector', 'expiry', 'signer', 'query');
  });
  afterAll(() => rotor.close());

  const register = () =>
    rotor.client.request<unknown, RegisterEndpointReply>(
      SUBJECTS.command.registerEndpoint,
      { meta: meta(), tenantId: 'acme', url: 'https://receiver.test/hook' },
      { timeoutMs: 5000 },
    );
  const rotate = (endpointId: string, expireCurrentIn: number) =>
    rotor.client.request<unknown, RotateSecretReply>(
      SUBJECTS.command.rotateSecret,
      { meta: meta(), tenantId: 'acme', endpointId, expireCurrentIn },
      { timeoutMs: 5000 },
    );
  const sign = async (endpointId: string, payload = '{"type":"invoice.paid"}') => {
    const timestamp = Math.floor(Date.now() / 1000);
    const reply = await rotor.client.request<unknown, SignReply>(
      SUBJECTS.signer.sign,
      { endpointId, msgId: `msg_${randomUUID()}`, timestamp, payload },
      { timeoutMs: 5000 },
    );
    return { payload, headers: reply.headers };
  };
  const verifies = (secret: string, signed: Awaited<ReturnType<typeof sign>>) => {
    try {
      new Webhook(secret).verify(signed.payload, signed.headers);
      return true;
    } catch {
      return false;
    }
  };
  const eventTypes = async (endpointId: string) =>
    (await rotor.store.read(endpointStreamName(endpointId))).map((e) => e.type);

  it('given a rotation with a 2 s grace, the signer signs with old and new, then only new after expiry', async () => {
    const { endpoint, secret: oldSecret } = await register();
    await waitFor(
      async () => verifies(oldSecret, await sign(endpoint.id)),
      'the signer to know the endpoint',
    );

    const rotation = await rotate(endpoint.id, 2);
    const duringGrace = await waitFor(async () => {
      const signed = await sign(endpoint.id);
      return verifies(rotation.secret, signed) ? signed : undefined;
    }, 'the signer to use the new key');
    expect(duringGrace.headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(verifies(oldSecret, duringGrace)).toBe(true);

    const afterExpiry = await waitFor(
      async () => {
        const signed = await sign(endpoint.id);
        return signed.headers['webhook-signature'].split(' ').length === 1 ? signed : undefined;
      },
      'the old key to stop signing',
      10_000,
    );
    expect(verifies(rotation.secret, afterExpiry)).toBe(true);
    expect(verifies(oldSecret, afterExpiry)).toBe(false);
    // The scheduler recorded the end of the grace period, once.
    await waitFor(
      async () => (await eventTypes(endpoint.id)).includes('PreviousSecretExpired'),
      'the expiry event',
    );
    expect(await eventTypes(endpoint.id)).toEqual([
      'EndpointRegistered',
      'SecretRotated',
      'PreviousSecretExpired',
    ]);
  });

  it('given a rotation with grace 0, the old secret stops at once', async () => {
    const { endpoint, secret: oldSecret } = await register();
    await waitFor(
      async () => verifies(oldSecret, await sign(endpoint.id)),
      'the signer to know the endpoint',
    );
    const rotation = await rotate(endpoint.id, 0);
    const signed = await waitFor(async () => {
      const s = await sign(endpoint.id);
      return verifies(rotation.secret, s) ? s : undefined;
    }, 'the new key');
    expect(signed.headers['webhook-signature'].split(' ')).toHaveLength(1);
    expect(verifies(oldSecret, signed)).toBe(false);
    expect(await eventTypes(endpoint.id)).toEqual([
      'EndpointRegistered',
      'SecretRotated',
      'PreviousSecretExpired',
    ]);
  });

  it('given 20 concurrent rotations of one endpoint, the stream stays consistent', async () => {
    const { endpoint } = await register();
    const outcomes = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => rotate(endpoint.id, i % 2 === 0 ? 0 : 3600)),
    );
    const refused = outcomes.flatMap((o) =>
      o.status === 'rejected' ? [(o.reason as { code?: string }).code] : [],
    );
    refused.forEach((code) =>
      expect(['rotation_in_progress', 'concurrency_conflict']).toContain(code),
    );
    const succeeded = outcomes.filter((o) => o.status === 'fulfilled').length;
    expect(succeeded).toBeGreaterThanOrEqual(1);

    const stream = await rotor.store.read(endpointStreamName(endpoint.id));
    expect(verifyStream(stream)).toMatchObject({ ok: true });
    expect(stream.filter((e) => e.type === 'SecretRotated')).toHaveLength(succeeded);
    // Each success returned a distinct key and the stream never had three keys in play.
    const keyIds = new Set(
      outcomes.flatMap((o) =>
        o.status === 'fulfilled' ? [(o.value as RotateSecretReply).keyId] : [],
      ),
    );
    expect(keyIds.size).toBe(succeeded);
    let open = 0;
    for (const e of stream) {
      if (e.type === 'SecretRotated') open += 1;
      if (e.type === 'PreviousSecretExpired') open -= 1;
      expect(open).toBeLessThanOrEqual(1);
    }
  });

  it('answers a malformed message on every subject with an error reply naming the fields', async () => {
    const subjects = [
      ...Object.values(SUBJECTS.command),
      ...Object.values(SUBJECTS.signer),
      ...Object.values(SUBJECTS.query),
    ];
    for (const subject of subjects) {
      const error = await rotor.client
        .request(subject, { unexpected: true, endpointId: 42 }, { timeoutMs: 5000 })
        .then(
          () => undefined,
          (e: unknown) => e as { code?: string; status?: number; errors?: unknown[] },
        );
      expect({ subject, code: error?.code, status: error?.status }).toEqual({
        subject,
        code: 'invalid_request',
        status: 422,
      });
      expect(error?.errors?.length).toBeGreaterThan(0);
    }
  });
});
