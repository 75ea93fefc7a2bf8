import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ALL_SCOPES, createApiKey } from '@rotor/access';
import {
  SUBJECTS,
  type DeleteEndpointReply,
  type RegisterEndpointReply,
  type RotateSecretReply,
} from '@rotor/contracts';
import { dataKeyStreamName, generateKekRingText, parseKekRing } from '@rotor/crypto';
import { endpointStreamName } from '@rotor/domain';
import type { EventStore } from '@rotor/event-store';
import { findNatsServer, startNatsServer, waitFor, type NatsForTests } from '@rotor/testing';
import request from 'supertest';
import { ApiKeyIndex } from '../../services/gateway/src/auth/api-key-index';
import { CapturingLogger, startRotorApp } from '../../services/gateway/test/rotor-app';
import { RotorServices } from '../services/rotor-services';
import { filesUnder, findAnywhere, recoverSecrets } from './attacker';

/**
 * Crypto-shredding checked byte by byte (issue 12): after register, rotate and DELETE, an
 * attacker with every file Rotor wrote and the KEK ring finds neither the endpoint's wrapped
 * data key nor its secrets (as text, bytes, base64 or hex), and opens none of the sealed
 * secrets its history still holds.
 */

/** What the history holds of an endpoint before its deletion: its secrets' sealed form. */
const sealedKeysOf = async (store: EventStore, endpointId: string) =>
  (await store.read(endpointStreamName(endpointId))).flatMap((event) => {
    const key = (event.data as { key?: { keyId: string; ciphertext: string } }).key;
    return key ? [{ keyId: key.keyId, ciphertext: key.ciphertext }] : [];
  });

const wrappedKeyOf = async (store: EventStore, endpointId: string): Promise<string> => {
  const [created] = await store.read(dataKeyStreamName(endpointId));
  return (created.data as { wrappedKey: string }).wrappedKey;
};

describe('crypto-shredding, all-in-one (sqlite, in-memory KV)', () => {
  it('leaves no copy of the data key or the secrets in any file or log', async () => {
    const ringText = generateKekRingText();
    const anchors = mkdtempSync(join(tmpdir(), 'rotor-shred-anchors-'));
    const logger = new CapturingLogger();
    const rotor = await startRotorApp(
      { ROTOR_AUDIT_ANCHOR_FILE: join(anchors, 'anchors.jsonl'), LOG_LEVEL: 'debug' },
      { kekRingText: ringText, logger },
    );
    try {
      const { plaintextKey } = await createApiKey(
        rotor.store,
        { tenantId: 'acme', scopes: [...ALL_SCOPES], name: 'test', actor: 'test' },
        { signer: parseKekRing(ringText).audit },
      );
      const keys = rotor.app.get(ApiKeyIndex);
      await waitFor(() => keys.lookup(plaintextKey), 'the projected API key');
      const auth = `Bearer ${plaintextKey}`;
      const registered = await request(rotor.server)
        .post('/v1/webhooks/endpoints')
        .set('Authorization', auth)
        .send({ url: 'https://receiver.test/hook' });
      expect(registered.status).toBe(201);
      const endpointId = registered.body.id as string;
      const rotated = await request(rotor.server)
        .post(`/v1/webhooks/endpoints/${endpointId}/secret/rotate`)
        .set('Authorization', auth)
        .send({ expire_current_in: 600 });
      expect(rotated.status).toBe(200);
      const wrappedKey = await wrappedKeyOf(rotor.store, endpointId);
      const sealed = await sealedKeysOf(rotor.store, endpointId);
      const secrets = { secret1: registered.body.secret, secret2: rotated.body.secret };

      // The attack works before the deletion: the scan finds the key, and it opens both.
      const ringBefore = parseKekRing(ringText);
      const filesBefore = filesUnder(rotor.dir);
      expect(findAnywhere(filesBefore, { wrappedKey }).length).toBeGreaterThan(0);
      expect(recoverSecrets(filesBefore, ringBefore, endpointId, sealed).sort()).toEqual(
        Object.values(secrets).sort(),
      );

      const deleted = await request(rotor.server)
        .delete(`/v1/webhooks/endpoints/${endpointId}`)
        .set('Authorization', auth);
      expect(deleted.status).toBe(204);

      const ring = parseKekRing(ringText);
      const needles = { wrappedKey, ...secrets };
      const log = [{ name: 'the logs', content: logger.lines.join('\n') }];
      // Bounded: the projector's own shred and checkpoint follow the reply by milliseconds.
      await waitFor(
        () => findAnywhere(filesUnder(rotor.dir, anchors), needles, log).length === 0,
        'no copy of the data key or the secrets in the files',
        5_000,
      ).catch(() => undefined);
      const files = filesUnder(rotor.dir, anchors);
      expect(files.some((file) => file.endsWith('rotor.sqlite'))).toBe(true);
      expect(findAnywhere(files, needles, log)).toEqual([]);
      expect(recoverSecrets(files, ring, endpointId, sealed)).toEqual([]);
      // The history is still there, sealed: shredding removed the key, not the facts.
      expect(sealed).toHaveLength(2);
    } finally {
      await rotor.close();
      rmSync(anchors, { recursive: true, force: true });
    }
  });
});

// A private server, never NATS_URL: the test scans the server's own store dir.
describe('crypto-shredding, distributed (sqlite, projector writing real JetStream KV)', () => {
  let nats: NatsForTests;
  let rotor: RotorServices;
  beforeAll(async () => {
    const binary = findNatsServer();
    if (!binary) throw new Error('nats-server is not on PATH: this suite needs a private one');
    nats = await startNatsServer(binary);
    rotor = new RotorServices(nats.url);
    await rotor.start('command', 'projector', 'signer');
  });
  afterAll(async () => {
    await rotor?.close();
    await nats?.stop();
  });

  const meta = () => ({ actor: 'test-suite', requestId: randomUUID() });

  it('leaves no copy of the data key or the secrets in the store or the JetStream files', async () => {
    const { endpoint, secret } = await rotor.client.request<unknown, RegisterEndpointReply>(
      SUBJECTS.command.registerEndpoint,
      { meta: meta(), tenantId: 'acme', url: 'https://receiver.test/hook' },
      { timeoutMs: 5000 },
    );
    const rotation = await rotor.client.request<unknown, RotateSecretReply>(
      SUBJECTS.command.rotateSecret,
      { meta: meta(), tenantId: 'acme', endpointId: endpoint.id, expireCurrentIn: 600 },
      { timeoutMs: 5000 },
    );
    const wrappedKey = await wrappedKeyOf(rotor.store, endpoint.id);
    const sealed = await sealedKeysOf(rotor.store, endpoint.id);
    // The projector has written the key ring for the endpoint to JetStream by now.
    await waitFor(
      () =>
        findAnywhere(filesUnder(nats.storeDir!), { ciphertext: sealed[1].ciphertext }).length > 0,
      'the key ring view in the JetStream files',
    );
    // The attack works before the deletion: the scan finds the key, and it opens both.
    expect(findAnywhere(filesUnder(rotor.dir), { wrappedKey }).length).toBeGreaterThan(0);
    expect(
      recoverSecrets(
        filesUnder(rotor.dir, nats.storeDir!),
        parseKekRing(rotor.kekRingText),
        endpoint.id,
        sealed,
      ).sort(),
    ).toEqual([secret, rotation.secret].sort());
    // The wrapped data key never reaches JetStream: the key ring view holds sealed keys only.
    expect(findAnywhere(filesUnder(nats.storeDir!), { wrappedKey })).toEqual([]);
    await rotor.client.request<unknown, DeleteEndpointReply>(
      SUBJECTS.command.deleteEndpoint,
      { meta: meta(), tenantId: 'acme', endpointId: endpoint.id },
      { timeoutMs: 5000 },
    );
    const needles = { wrappedKey, secret1: secret, secret2: rotation.secret };
    const scan = () => filesUnder(rotor.dir, nats.storeDir!);
    await waitFor(
      () => findAnywhere(scan(), needles).length === 0,
      'no copy of the data key or the secrets in the files',
      5_000,
    ).catch(() => undefined);
    expect(findAnywhere(scan(), needles)).toEqual([]);
    expect(recoverSecrets(scan(), parseKekRing(rotor.kekRingText), endpoint.id, sealed)).toEqual(
      [],
    );
  });
});
