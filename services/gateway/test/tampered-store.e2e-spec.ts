import Database from 'better-sqlite3';
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import {
  ALL_SCOPES,
  apiKeyStreamName,
  createApiKey,
  generateApiKey,
  hashApiKey,
  revokeApiKey,
} from '@rotor/access';
import { generateKekRingText, parseKekRing } from '@rotor/crypto';
import { endpointStreamName } from '@rotor/domain';
import { comparePositions, GENESIS_HASH, hashEvent } from '@rotor/event-store';
import { waitFor } from '@rotor/testing';
import request from 'supertest';
import { AnchorService } from '../../command/src/anchor.service';
import { ProjectorService } from '../../projector/src/projector.service';
import { ApiKeyIndex } from '../src/auth/api-key-index';
import { CapturingLogger, startRotorApp, type RotorTestApp } from './rotor-app';

/**
 * Services started on a store someone rewrote without the audit key (issue 12) refuse the
 * forged events, report them, and fail closed: a forged ApiKeyCreated does not
 * authenticate, an API key whose ApiKeyRevoked was cut off its stream (after the anchor
 * that recorded it) stays revoked, and an endpoint whose revocation was edited does not
 * sign with the revoked secret again (it signs nothing until the store is restored).
 */
describe('services on a tampered store (all-in-one, sqlite, signed chain)', () => {
  const ringText = generateKekRingText();
  const ENDPOINTS = '/v1/webhooks/endpoints';
  let first: RotorTestApp;
  let second: RotorTestApp;
  const logger = new CapturingLogger();
  let sqlitePath: string;
  let auth: string;
  let endpointId: string;
  let revokedKey: string;
  let revokedStream: string;
  const forgedKey = generateApiKey();

  beforeAll(async () => {
    first = await startRotorApp({}, { kekRingText: ringText });
    sqlitePath = join(first.dir, 'rotor.sqlite');
    const { plaintextKey } = await createApiKey(
      first.store,
      { tenantId: 'acme', scopes: [...ALL_SCOPES], name: 'genuine', actor: 'test' },
      { signer: parseKekRing(ringText).audit },
    );
    await waitFor(() => first.app.get(ApiKeyIndex).lookup(plaintextKey), 'the genuine key');
    auth = `Bearer ${plaintextKey}`;
    const revoked = await createApiKey(
      first.store,
      { tenantId: 'acme', scopes: [...ALL_SCOPES], name: 'revoked', actor: 'test' },
      { signer: parseKekRing(ringText).audit },
    );
    revokedKey = revoked.plaintextKey;
    revokedStream = apiKeyStreamName(revoked.record.id);
    await revokeApiKey(first.store, revoked.record.id, 'test', {
      signer: parseKekRing(ringText).audit,
    });
    const registered = await request(first.server)
      .post(ENDPOINTS)
      .set('Authorization', auth)
      .send({ url: 'https://receiver.test/hook' });
    expect(registered.status).toBe(201);
    endpointId = registered.body.id;
    const rotated = await request(first.server)
      .post(`${ENDPOINTS}/${endpointId}/secret/rotate`)
      .set('Authorization', auth)
      .send({ expire_current_in: 3600 });
    expect(rotated.status).toBe(200);
    const revokedPrevious = await request(first.server)
      .post(`${ENDPOINTS}/${endpointId}/secret/revoke-previous`)
      .set('Authorization', auth);
    expect(revokedPrevious.status).toBe(200);
    // The anchor written at shutdown must have seen the whole log, the revocations included.
    const [head] = await first.store.read(endpointStreamName(endpointId), { fromRevision: 2 });
    const anchors = first.app.get(AnchorService);
    await waitFor(
      () => (comparePositions(anchors.position, head.position) ?? -1) >= 0,
      'the anchor writer at the end of the log',
    );
    await first.app.close(); // the store file stays: tampered with below

    const db = new Database(sqlitePath);
    try {
      // The tail of a revoked key's stream cut off: what is left is a valid, signed chain.
      db.prepare('DELETE FROM events WHERE stream = ? AND revision = 1').run(revokedStream);
      // A forged API key, hashed as the store hashes, with no signature.
      const stream = apiKeyStreamName('ak_ffffffffffffffff');
      const data = {
        id: 'ak_ffffffffffffffff',
        tenantId: 'acme',
        scopes: [...ALL_SCOPES],
        name: 'backdoor',
        hashedKey: hashApiKey(forgedKey),
        createdAt: new Date().toISOString(),
      };
      const metadata = {
        actor: 'cli:admin',
        requestId: 'r',
        occurredAt: data.createdAt,
        prevHash: GENESIS_HASH,
      };
      const hash = hashEvent(stream, 0, { type: 'ApiKeyCreated', version: 1, data, metadata });
      db.prepare(
        `INSERT INTO events (stream, revision, type, version, data, metadata, recorded_at)
         VALUES (?, 0, 'ApiKeyCreated', 1, ?, ?, ?)`,
      ).run(stream, JSON.stringify(data), JSON.stringify({ ...metadata, hash }), data.createdAt);
      // The revocation of the previous secret, edited to name another key, hash recomputed
      // (the old signature kept): folded without it, the revoked secret would sign again.
      const endpoint = endpointStreamName(endpointId);
      const row = db
        .prepare(
          "SELECT revision, type, version, data, metadata FROM events WHERE stream = ? AND type = 'PreviousSecretExpired'",
        )
        .get(endpoint) as {
        revision: number;
        type: string;
        version: number;
        data: string;
        metadata: string;
      };
      const edited = { ...JSON.parse(row.data), keyId: 'key_00000000000000000000000000' };
      const editedMeta = JSON.parse(row.metadata);
      editedMeta.hash = hashEvent(endpoint, row.revision, {
        type: row.type,
        version: row.version,
        data: edited,
        metadata: editedMeta,
      });
      db.prepare('UPDATE events SET data = ?, metadata = ? WHERE stream = ? AND revision = ?').run(
        JSON.stringify(edited),
        JSON.stringify(editedMeta),
        endpoint,
        row.revision,
      );
    } finally {
      db.close();
    }

    second = await startRotorApp({ SQLITE_PATH: sqlitePath }, { kekRingText: ringText, logger });
    await waitFor(() => second.app.get(ProjectorService).isCaughtUp, 'the projector caught up');
    await waitFor(
      () => second.app.get(ApiKeyIndex).lookup(auth.slice('Bearer '.length)),
      'the genuine key projected again',
    );
  });

  afterAll(async () => {
    await second?.close();
    rmSync(first.dir, { recursive: true, force: true });
    rmSync(`${first.dir}-anchors`, { recursive: true, force: true });
  });

  it('a forged ApiKeyCreated does not authenticate; the genuine key still does', async () => {
    const forged = await request(second.server)
      .get(ENDPOINTS)
      .set('Authorization', `Bearer ${forgedKey}`);
    expect(forged.status).toBe(401);
    const genuine = await request(second.server).get(ENDPOINTS).set('Authorization', auth);
    expect(genuine.status).toBe(200);
  });

  it('an API key whose revocation was cut off after the last anchor stays revoked', async () => {
    const response = await request(second.server)
      .get(ENDPOINTS)
      .set('Authorization', `Bearer ${revokedKey}`);
    expect(response.status).toBe(401);
  });

  it('/health and /metrics name the audit refusals, and no anchor seals the tampered store', async () => {
    const health = await waitFor(async () => {
      const response = await request(second.server).get('/health');
      return response.status === 503 && JSON.stringify(response.body).includes('audit')
        ? response
        : undefined;
    }, '/health reporting the refused events');
    expect(JSON.stringify(health.body)).toMatch(/events refused as tampered with/);
    const metrics = await request(second.server).get('/metrics');
    expect(metrics.text).toMatch(/^rotor_audit_intact\{service="command"\} 0$/m);
    expect(second.app.get(AnchorService).refused).toMatch(/is not as anchored/);
  });

  it('the revoked previous secret does not sign again: the endpoint fails closed', async () => {
    const signed = await request(second.server)
      .post(`${ENDPOINTS}/${endpointId}/signatures`)
      .set('Authorization', auth)
      .send({ payload: '{"type":"invoice.paid"}' });
    // Its key ring was emptied: it signs with no key at all, the revoked one included.
    expect(signed.status).toBe(404);
  });

  it('a command on the tampered endpoint is refused (503) and appends nothing', async () => {
    const before = await second.store.read(endpointStreamName(endpointId));
    const rotated = await request(second.server)
      .post(`${ENDPOINTS}/${endpointId}/secret/rotate`)
      .set('Authorization', auth)
      .send({ expire_current_in: 0 });
    expect({ status: rotated.status, code: rotated.body.code }).toEqual({
      status: 503,
      code: 'service_unavailable',
    });
    expect(await second.store.read(endpointStreamName(endpointId))).toHaveLength(before.length);
  });

  it('each forged event is reported, once per refusal, naming the stream', () => {
    const refusals = logger.lines.filter((line) => line.includes('the event is not acted on'));
    expect(refusals.some((line) => line.includes(apiKeyStreamName('ak_ffffffffffffffff')))).toBe(
      true,
    );
    expect(refusals.some((line) => line.includes(endpointStreamName(endpointId)))).toBe(true);
    expect(refusals.some((line) => line.includes(`${revokedStream}@1: truncated`))).toBe(true);
  });
});
