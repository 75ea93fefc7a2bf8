import { waitFor } from '@rotor/testing';
import { Webhook } from 'standardwebhooks';
import {
  ENDPOINTS,
  http,
  signingKeyCount,
  itDocumentsEveryStatusItSaw,
  registerEndpoint,
} from './http';
import { startRotorApp, type IssuedKey, type RotorTestApp } from './rotor-app';

/**
 * What a receiver sees during a zero-downtime rotation (black box, as svix tests it): after
 * the rotation a delivery verifies under the old AND the new secret; once the previous one
 * is revoked, under the new one only.
 */
describe('rotation flow: register -> rotate -> sign -> verify (e2e)', () => {
  let rotor: RotorTestApp;
  let key: IssuedKey;
  beforeAll(async () => {
    rotor = await startRotorApp();
    key = await rotor.issueKey('acme');
  });
  afterAll(() => rotor?.close());

  const signingKeys = (endpointId: string) => signingKeyCount(rotor, key, endpointId);

  const sign = async (endpointId: string, payload: string) => {
    const response = await http(rotor)
      .post(`${ENDPOINTS}/${endpointId}/signatures`)
      .set('Authorization', key.auth)
      .send({ payload });
    expect(response.status).toBe(200);
    return response.body.headers as Record<string, string>;
  };

  const verifies = (secret: string, payload: string, headers: Record<string, string>): boolean => {
    try {
      new Webhook(secret).verify(payload, headers, { jsonParse: false });
      return true;
    } catch {
      return false;
    }
  };

  it('signs under both secrets during the overlap, under the new one after revoke-previous', async () => {
    const endpoint = await registerEndpoint(rotor, key);
    const oldSecret = endpoint.secret;
    await waitFor(
      async () => (await signingKeys(endpoint.id)) === 1,
      "the signer's view of the new endpoint",
    );
    const payload = JSON.stringify({
      type: 'order.paid',
      id: 'ord_1',
      amount: 4200,
      note: 'héllo',
    });

    const before = await sign(endpoint.id, payload);
    expect(verifies(oldSecret, payload, before)).toBe(true);

    const rotated = await http(rotor)
      .post(`${ENDPOINTS}/${endpoint.id}/secret/rotate`)
      .set('Authorization', key.auth)
      .send({ expire_current_in: 3600 });
    expect(rotated.status).toBe(200);
    const newSecret = rotated.body.secret as string;
    expect(newSecret).not.toBe(oldSecret);
    await waitFor(
      async () => (await signingKeys(endpoint.id)) === 2,
      "the signer's view of the rotation",
    );

    const during = await sign(endpoint.id, payload);
    expect(during['webhook-signature'].split(' ')).toHaveLength(2);
    expect(verifies(oldSecret, payload, during)).toBe(true);
    expect(verifies(newSecret, payload, during)).toBe(true);
    expect(verifies(newSecret, `${payload} `, during)).toBe(false);

    const revoked = await http(rotor)
      .post(`${ENDPOINTS}/${endpoint.id}/secret/revoke-previous`)
      .set('Authorization', key.auth);
    expect(revoked.status).toBe(200);
    await waitFor(
      async () => (await signingKeys(endpoint.id)) === 1,
      "the signer's view of the revocation",
    );

    const after = await sign(endpoint.id, payload);
    expect(verifies(newSecret, payload, after)).toBe(true);
    expect(verifies(oldSecret, payload, after)).toBe(false);
  });

  it('with expire_current_in 0, the old secret stops at once', async () => {
    const endpoint = await registerEndpoint(rotor, key);
    const rotated = await http(rotor)
      .post(`${ENDPOINTS}/${endpoint.id}/secret/rotate`)
      .set('Authorization', key.auth)
      .send({ expire_current_in: 0 });
    expect(rotated.status).toBe(200);
    await waitFor(
      async () =>
        (await sign(endpoint.id, 'x'))['webhook-signature'].split(' ').length === 1 &&
        verifies(rotated.body.secret, 'x', await sign(endpoint.id, 'x')),
      "the signer's view of the rotation",
    );
    const headers = await sign(endpoint.id, 'payload');
    expect(verifies(rotated.body.secret, 'payload', headers)).toBe(true);
    expect(verifies(endpoint.secret, 'payload', headers)).toBe(false);
  });

  itDocumentsEveryStatusItSaw(() => rotor);
});
