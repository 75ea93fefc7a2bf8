import { BUCKETS } from '@rotor/contracts';
import type { SqliteEventStore } from '@rotor/event-store';
import { waitFor } from '@rotor/testing';
import Database from 'better-sqlite3';
import { FaultyKvFactory } from './faulty-kv';
import { ENDPOINTS, http, registerEndpoint } from './http';
import { startRotorApp, type IssuedKey, type RotorTestApp } from './rotor-app';

/**
 * Faults on purpose, in the all-in-one mode: KV writes that time out (as during a NATS
 * outage) and a store locked by another process. Nothing is restarted: each loop must
 * notice, say so in /health, and resume by itself once the fault clears.
 */
describe('self-healing: faults make /health not ready, and everything resumes (e2e)', () => {
  const kv = new FaultyKvFactory();
  let rotor: RotorTestApp;
  let key: IssuedKey;

  beforeAll(async () => {
    rotor = await startRotorApp({ NATS_REQUEST_TIMEOUT_MS: '10000' }, { kv });
    key = await rotor.issueKey('acme');
  });
  afterAll(async () => {
    await rotor?.close();
  });

  const health = () => http(rotor).get('/health');
  const ready = async () => (await health()).status === 200;

  it('given KV writes timing out, the projector reports not ready with the reason, then catches up without a restart', async () => {
    await waitFor(ready, 'every service to report ready', 15_000);
    kv.breakWrites(BUCKETS.endpoints);
    const created = await http(rotor)
      .post(ENDPOINTS)
      .set('Authorization', key.auth)
      .send({ url: 'https://example.com/hooks' });
    expect(created.status).toBe(201);

    const unhealthy = await waitFor(
      async () => {
        const answer = await health();
        return answer.status === 503 ? answer : undefined;
      },
      '/health to report the projector stopped',
      15_000,
    );
    expect(unhealthy.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(unhealthy.body.checks.projector).toEqual({
      status: 'failing',
      detail: expect.stringMatching(/TIMEOUT/),
    });
    expect(unhealthy.body.detail).toMatch(/^projector: /);
    // It keeps trying, bounded: several attempts, not one and not a tight loop.
    await waitFor(() => (kv.refused.get(BUCKETS.endpoints) ?? 0) >= 3, 'retries', 15_000);
    const get = () =>
      http(rotor).get(`${ENDPOINTS}/${created.body.id}`).set('Authorization', key.auth);
    expect((await get()).status).toBe(404);

    kv.heal();
    await waitFor(async () => (await get()).status === 200, 'the endpoint in the view', 15_000);
    await waitFor(ready, '/health back to ready', 15_000);
    const metrics = await http(rotor).get('/metrics');
    expect(metrics.text).toMatch(/rotor_projection_lag_events 0/);
  });

  it('given the store locked by another process, writes fail with 503 and /health says why, then both recover', async () => {
    await waitFor(ready, 'every service to report ready', 15_000);
    const endpoint = await registerEndpoint(rotor, key);
    const other = new Database((rotor.store as SqliteEventStore).path);
    try {
      other.exec('BEGIN EXCLUSIVE');
      const unhealthy = await waitFor(
        async () => {
          // Each writer (command, projector) reports on its own tick: wait for the command's.
          const answer = await health();
          return answer.status === 503 && answer.body.checks.command.status === 'failing'
            ? answer
            : undefined;
        },
        '/health to report the store not writable',
        15_000,
      );
      expect(unhealthy.body.checks.command).toEqual({
        status: 'failing',
        detail: expect.stringMatching(/event_store: the event store is busy/),
      });
      expect(unhealthy.body.checks.nats).toMatchObject({ status: 'ok' });
      const refused = await http(rotor)
        .post(`${ENDPOINTS}/${endpoint.id}/secret/rotate`)
        .set('Authorization', key.auth)
        .send({});
      expect(refused.status).toBe(503);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    await waitFor(ready, '/health back to ready', 15_000);
    const rotated = await http(rotor)
      .post(`${ENDPOINTS}/${endpoint.id}/secret/rotate`)
      .set('Authorization', key.auth)
      .send({});
    expect(rotated.status).toBe(200);
  });
});
