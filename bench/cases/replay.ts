import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newEndpointId } from '@rotor/crypto';
import { endpointStreamName } from '@rotor/domain';
import {
  GENESIS_HASH,
  START,
  SqliteEventStore,
  chainEvents,
  type RecordedEvent,
} from '@rotor/event-store';
import type { EndpointView, KeyRingDraft } from '@rotor/projections';
import { FeedChainVerifier } from '../../services/cli/src/audit/chain-verifier';
import { endpointIdOf, project } from '../../services/projector/src/projection';
import type { BenchCase } from '../lib/result';
import { repeat } from '../lib/stats';

const EVENTS_PER_ENDPOINT = 100;

/** Realistic endpoint histories: registered, then rotations each followed by its expiry. */
const history = (endpointId: string, n: number) => {
  const key = (i: number) => ({
    keyId: `key_01J${String(i).padStart(23, '0')}`,
    algorithm: 'hmac-sha256',
    ciphertext: 'A'.repeat(100),
    kekId: 'kek-bench',
    hint: 'whsec_…abcd',
    fingerprint: '0123456789abcdef',
    createdAt: '2026-01-01T00:00:00.000Z',
  });
  const metadata = {
    actor: 'ak_0123456789abcdef',
    requestId: 'bench',
    occurredAt: '2026-01-01T00:00:00.000Z',
  };
  const events: { type: string; version: number; data: unknown; metadata: typeof metadata }[] = [
    {
      type: 'EndpointRegistered',
      version: 1,
      data: { endpointId, tenantId: 'bench', url: 'https://receiver.test', key: key(0) },
      metadata,
    },
  ];
  for (let i = 1; events.length < n; i++) {
    events.push({
      type: 'SecretRotated',
      version: 1,
      data: {
        endpointId,
        key: key(i),
        previousKeyId: key(i - 1).keyId,
        previousKeyExpiresAt: '2026-01-01T01:00:00.000Z',
        gracePeriodSeconds: 3600,
      },
      metadata,
    });
    events.push({
      type: 'PreviousSecretExpired',
      version: 1,
      data: {
        endpointId,
        keyId: key(i - 1).keyId,
        expiredAt: '2026-01-01T01:00:00.000Z',
        reason: 'grace_period_elapsed',
      },
      metadata,
    });
  }
  return events.slice(0, n);
};

/** Streams the feed through `work`, reporting events/s and the peak RSS growth. */
const measure = async (store: SqliteEventStore, work: (event: RecordedEvent) => void) => {
  const rssBefore = process.memoryUsage().rss;
  let peak = rssBefore;
  let events = 0;
  const start = process.hrtime.bigint();
  for await (const event of store.readAll(START)) {
    work(event);
    if (++events % 10_000 === 0) peak = Math.max(peak, process.memoryUsage().rss);
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return {
    rate: events / seconds,
    rssGrowthMb: (Math.max(peak, process.memoryUsage().rss) - rssBefore) / 2 ** 20,
  };
};

/** Replay and rebuild from sqlite: the audit and projection-rebuild paths. */
export const replay: BenchCase = {
  name: 'replay',
  description: 'replay events from sqlite: projection rebuild and hash-chain verification',
  async run({ quick }) {
    const total = quick ? 100_000 : 1_000_000;
    const dir = mkdtempSync(join(tmpdir(), 'rotor-bench-replay-'));
    const store = new SqliteEventStore(join(dir, 'rotor.sqlite'));
    try {
      const seedStart = Date.now();
      for (let i = 0; i < total / EVENTS_PER_ENDPOINT; i++) {
        const endpointId = newEndpointId();
        const stream = endpointStreamName(endpointId);
        await store.append(
          stream,
          chainEvents(stream, 0, GENESIS_HASH, history(endpointId, EVENTS_PER_ENDPOINT)),
          'no_stream',
        );
      }
      const seedSeconds = (Date.now() - seedStart) / 1000;
      const rssGrowth: number[] = [];
      const rebuild = await repeat(3, async () => {
        const endpoints = new Map<string, EndpointView>();
        const keyRings = new Map<string, KeyRingDraft>();
        const result = await measure(store, (event) => {
          const id = endpointIdOf(event)!;
          const change = project(event, {
            endpointView: endpoints.get(id),
            keyRing: keyRings.get(id),
          });
          if (change?.endpointView) endpoints.set(id, change.endpointView);
          if (change?.keyRing) keyRings.set(id, change.keyRing);
        });
        rssGrowth.push(result.rssGrowthMb);
        return result.rate;
      });
      const verify = await repeat(3, async () => {
        const verifier = new FeedChainVerifier();
        const result = await measure(store, (event) => {
          if (verifier.check(event).kind === 'broken') throw new Error('seeded chain broken');
        });
        rssGrowth.push(result.rssGrowthMb);
        return result.rate;
      });
      const rss = await repeat(1, () => Math.max(...rssGrowth));
      return {
        name: this.name,
        parameters: {
          events: total,
          endpoints: total / EVENTS_PER_ENDPOINT,
          eventsPerEndpoint: EVENTS_PER_ENDPOINT,
          seedSeconds,
        },
        metrics: [
          {
            label: 'rebuild (readAll + project)',
            unit: 'events/s',
            rotor: rebuild,
            target: '>= 100,000/s',
            met: rebuild.median >= 100_000,
          },
          {
            label: 'verify hash chains (readAll + SHA-256)',
            unit: 'events/s',
            rotor: verify,
            target: '>= 100,000/s',
            met: verify.median >= 100_000,
          },
          {
            label: 'peak RSS growth (worst run)',
            unit: 'MB',
            rotor: rss,
            target: '< 100 MB',
            met: rss.max < 100,
          },
        ],
      };
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
