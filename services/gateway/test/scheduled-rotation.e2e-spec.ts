import { v1aVerifies, waitFor } from '@rotor/testing';
import { ENDPOINTS, http, itDocumentsEveryStatusItSaw, registerEndpoint } from './http';
import { startRotorApp, type IssuedKey, type RotorTestApp } from './rotor-app';

/** The shortest policy the domain accepts: the test waits for one real period (within the suite-wide 120 s). */
const EVERY = 60;
const GRACE = 30;

interface HistoryEntry {
  type: string;
  actor: string;
  occurred_at: string;
  data: Record<string, unknown>;
}

/**
 * Zero-touch rotation, black box and in real time: an Ed25519 endpoint with a policy is
 * rotated by Rotor itself (actor rotor-scheduler) once its period ends, never before, at
 * most seconds after, exactly once; receivers holding the published public keys verify
 * every v1a through the overlap. An HMAC endpoint with the same policy is only marked due.
 */
describe('scheduled rotation (e2e, one real period)', () => {
  let rotor: RotorTestApp;
  let key: IssuedKey;
  beforeAll(async () => {
    rotor = await startRotorApp();
    key = await rotor.issueKey('acme');
  });
  afterAll(() => rotor?.close());

  const get = (path: string) => http(rotor).get(path).set('Authorization', key.auth);
  const history = async (id: string) =>
    (await get(`${ENDPOINTS}/${id}/events`)).body.data as HistoryEntry[];
  const policy = { every_seconds: EVERY, grace_seconds: GRACE };

  it('rotates the Ed25519 endpoint once its period ends, exactly once; the HMAC one is only marked due', async () => {
    const ed = await registerEndpoint(rotor, key, {
      url: 'https://example.com/hooks',
      signing: 'ed25519',
      rotation_policy: policy,
    });
    const hmac = await registerEndpoint(rotor, key, {
      url: 'https://example.com/hooks',
      rotation_policy: policy,
    });
    const shown = (await get(`${ENDPOINTS}/${ed.id}`)).body;
    expect(shown.rotation_policy).toEqual(policy);
    const dueAt = Date.parse(shown.rotation_due_at);
    expect(dueAt).toBe(Date.parse(shown.keys[0].created_at) + EVERY * 1000);
    expect(shown.keys[0].rotation_due_at).toBe(shown.rotation_due_at);
    expect((await get(`${ENDPOINTS}/${hmac.id}`)).body.rotation_due_at).toEqual(expect.any(String));

    const rotation = await waitFor(
      async () => (await history(ed.id)).find((e) => e.type === 'SecretRotated'),
      'the scheduled rotation',
      (EVERY + 30) * 1000,
      250,
    );
    const at = Date.parse(rotation.occurred_at);
    expect(rotation.actor).toBe('rotor-scheduler');
    expect(at).toBeGreaterThanOrEqual(dueAt);
    expect(at - dueAt).toBeLessThan(5000);
    expect(rotation.data.grace_period_seconds).toBe(GRACE);

    // The HMAC endpoint's period ended too: the scheduler marked it due and did not rotate it.
    const marked = await waitFor(
      async () => (await history(hmac.id)).find((e) => e.type === 'SecretRotationDue'),
      'the HMAC endpoint marked due',
    );
    expect(marked.actor).toBe('rotor-scheduler');
    expect((await history(hmac.id)).map((e) => e.type)).toEqual([
      'EndpointRegistered',
      'SecretRotationDue',
    ]);
    await waitFor(
      async () => (await get(`${ENDPOINTS}/${hmac.id}`)).body.keys[0].rotation_due === true,
      'the mark in the endpoint view',
    );

    // Receivers: both published keys verify the two v1a of the overlap.
    await waitFor(
      async () =>
        ((await http(rotor).get(`${ENDPOINTS}/${ed.id}/public-keys`)).body.data ?? []).length === 2,
      'the new key in the public keys',
    );
    const keys = (await http(rotor).get(`${ENDPOINTS}/${ed.id}/public-keys`)).body.data as {
      public_key: string;
    }[];
    const payload = '{"type":"scheduled"}';
    const signed = await waitFor(async () => {
      const headers = (
        await http(rotor)
          .post(`${ENDPOINTS}/${ed.id}/signatures`)
          .set('Authorization', key.auth)
          .send({ payload })
      ).body.headers as Record<string, string>;
      return headers['webhook-signature'].split(' ').length === 2 ? headers : undefined;
    }, "the signer's view of the scheduled rotation");
    const entries = signed['webhook-signature'].split(' ');
    entries.forEach((entry, i) =>
      expect(
        v1aVerifies(keys[i].public_key, { ...signed, 'webhook-signature': entry }, payload),
      ).toBe(true),
    );

    // Exactly once: the period's rotation is not repeated, and the next period is counted
    // from the new key.
    const after = (await get(`${ENDPOINTS}/${ed.id}`)).body;
    expect((await history(ed.id)).filter((e) => e.type === 'SecretRotated')).toHaveLength(1);
    expect(Date.parse(after.rotation_due_at)).toBe(
      Date.parse(after.keys[0].created_at) + EVERY * 1000,
    );
  });

  itDocumentsEveryStatusItSaw(() => rotor);
});
