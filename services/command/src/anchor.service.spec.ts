import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RotorConfig } from '@rotor/config';
import {
  chainEvents,
  createAuditSigner,
  generateAuditPrivateKey,
  GENESIS_HASH,
  readAnchors,
  SqliteEventStore,
  verifierOf,
  type EventStore,
  type SubscribeOptions,
} from '@rotor/event-store';
import { waitFor } from '@rotor/testing';
import { AnchorService } from './anchor.service';

/**
 * The anchor writer seals only a store it has followed to its end and checked against the
 * last anchor; once it has, its last anchor (at shutdown) covers every event written, even
 * those its background feed had not read yet.
 */
describe('AnchorService', () => {
  const signer = createAuditSigner(generateAuditPrivateKey());
  let dir: string;
  let store: SqliteEventStore;
  const anchorFile = () => join(dir, 'anchors.jsonl');
  const config = () =>
    ({
      audit: { anchorFile: anchorFile(), anchorIntervalSeconds: 3600 },
    }) as unknown as RotorConfig;
  const service = (on: EventStore) =>
    new AnchorService(on, { audit: signer }, config(), () => new Date('2026-01-01T00:00:00Z'));
  const append = async (stream: string, count: number) => {
    const events = chainEvents(
      stream,
      0,
      GENESIS_HASH,
      Array.from({ length: count }, (_, n) => ({
        type: 'ApiKeyCreated',
        version: 1,
        data: { n },
        metadata: { actor: 'cli:test', requestId: `r${n}`, occurredAt: '2026-01-01T00:00:00Z' },
      })),
      signer,
    );
    await store.append(stream, events, 'no_stream');
  };
  const lastAnchor = () => {
    const found = readAnchors(anchorFile(), verifierOf(signer));
    return found.kind === 'ok' ? found.last : undefined;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rotor-anchor-'));
    store = new SqliteEventStore(join(dir, 'rotor.sqlite'));
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('given a feed that has not reached the end of the store, then nothing is anchored, not even at shutdown', async () => {
    await append('rotorApiKey-ak_1', 2);
    // A feed that delivers but never catches up: a large store still being read.
    const neverCaughtUp: EventStore = Object.assign(Object.create(store) as EventStore, {
      subscribeAll: (_from: string, options: SubscribeOptions) => {
        void options.onEvent({
          stream: 'rotorApiKey-ak_1',
          revision: 0,
          position: '1',
          type: 'ApiKeyCreated',
          version: 1,
          data: {},
          metadata: { actor: 'a', requestId: 'r', occurredAt: '', prevHash: '', hash: 'h' },
          recordedAt: '',
        });
        return { close: () => Promise.resolve() };
      },
    });
    const anchors = service(neverCaughtUp);
    anchors.onApplicationBootstrap();
    expect(anchors.position).toBe('1');
    anchors.anchor();
    await anchors.onModuleDestroy();
    expect(lastAnchor()).toBeUndefined();
  });

  it('given a caught-up writer, when events land after its last read, then its last anchor covers them', async () => {
    await append('rotorApiKey-ak_1', 2);
    const anchors = service(store);
    anchors.onApplicationBootstrap();
    await waitFor(() => lastAnchor()?.position === '2', 'the anchor once caught up');
    await append('rotorApiKey-ak_2', 3); // the background feed may not have read these yet
    await anchors.onModuleDestroy();
    expect(lastAnchor()).toMatchObject({ position: '5', streams: 2, events: 5 });
  });
});
