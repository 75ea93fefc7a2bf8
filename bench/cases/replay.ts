import { randomBytes, randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import {
  DATA_KEY_EVENT_VERSION,
  dataKeyAad,
  dataKeyStreamName,
  generateSecret,
  newEndpointId,
  newKeyId,
  seal,
  sealSecret,
} from '@rotor/crypto';
import {
  EVENT_VERSIONS,
  decide,
  endpointStreamName,
  evolve,
  initialState,
  isDomainError,
  type EndpointCommand,
  type EndpointEvent,
  type EndpointState,
  type SealedKey,
} from '@rotor/domain';
import {
  GENESIS_HASH,
  SqliteEventStore,
  chainEvents,
  createAuditSigner,
  generateAuditPrivateKey,
  verifierOf,
  type AuditSigner,
} from '@rotor/event-store';
import { verifyFeed } from '../../services/cli/src/audit/verify-feed';
import { rebuildViewsByStream } from '../../services/cli/src/projections/rebuild';
import { PROJECTED_STREAM_PREFIXES } from '../../services/projector/src/projector.constants';
import { inFreshProcess, removeDir, tempDir } from '../lib/processes';
import { bounded, type BenchCase } from '../lib/result';
import { memory, summarize } from '../lib/stats';

/**
 * Each endpoint's history as Rotor writes it: a data key (its own stream), registration,
 * then rotations with the default one-hour overlap, each followed by the expiry the
 * scheduler sends an hour later. The events come from the domain's own `decide`, with
 * really sealed keys, and are hash-chained and signed (chain v2) by `chainEvents` with an
 * audit key, like the command handler does once the ring has one.
 */
const ROTATIONS = 4;
const EVENTS_PER_ENDPOINT = 2 + 2 * ROTATIONS;

interface ReadResult {
  readonly events: number;
  readonly seconds: number;
  /** Peak RSS minus RSS before reading, MiB. */
  readonly rssGrowthMb: number;
  readonly rssBeforeMb: number;
  readonly detail: Record<string, number>;
}

/** Reads the feed in this (fresh) process and reports the rate and the peak RSS growth. */
const measureRead = async (
  path: string,
  read: (store: SqliteEventStore, sample: () => void) => Promise<Record<string, number>>,
): Promise<ReadResult> => {
  const store = new SqliteEventStore(path);
  try {
    global.gc?.();
    const before = memory();
    let peak = before.rssMb;
    let n = 0;
    const sample = () => {
      if (++n % 5_000 === 0) peak = Math.max(peak, memory().rssMb);
    };
    const start = process.hrtime.bigint();
    const detail = await read(store, sample);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    peak = Math.max(peak, memory().rssMb, memory().maxRssMb);
    return {
      events: n,
      seconds,
      rssGrowthMb: peak - before.rssMb,
      rssBeforeMb: before.rssMb,
      detail,
    };
  } finally {
    await store.close();
  }
};

/**
 * The rebuild path: `npm run cli -- projections rebuild` (the store stream by stream +
 * `project`). Each view, complete when its stream ends, is encoded as the JSON a bucket put
 * would send, then dropped: what a rebuild that writes its views out costs, without NATS.
 */
export const rebuildTask = ({ path }: { path: string }): Promise<ReadResult> =>
  measureRead(path, async (store, sample) => {
    let bytes = 0;
    const summary = await rebuildViewsByStream(
      store.readAllByStream({ streamPrefixes: PROJECTED_STREAM_PREFIXES }),
      (view) => (bytes += JSON.stringify(view.value).length),
      sample,
    );
    return {
      endpointViews: summary.endpoints,
      keyRings: summary.keyRings,
      viewMiB: Number((bytes / 2 ** 20).toFixed(1)),
    };
  });

/**
 * The audit path: `npm run cli -- audit verify`'s own pass (`verifyFeed`), without the
 * audit key (hash chains only, as a reader without ROTOR_AUDIT_PUBLIC_KEY) or with it (and
 * then also the Ed25519 signature of every stream's head). No anchor file: its heads would
 * be read whole, which this case does not measure.
 */
export const verifyTask = ({
  path,
  auditKey,
}: {
  path: string;
  /** base64 of the audit key's seed: the public half checks the signatures. */
  auditKey?: string;
}): Promise<ReadResult> =>
  measureRead(path, async (store, sample) => {
    const policy = auditKey ? { verifier: verifierOf(createAuditSigner(auditKey)) } : undefined;
    const report = await verifyFeed(
      store,
      { policy, anchorFile: join(dirname(path), 'no-anchors', 'anchors.jsonl') },
      { tick: sample, done: () => undefined },
    );
    if (!report.ok)
      throw new Error(`seeded store reported broken: ${JSON.stringify(report.broken[0])}`);
    return { streams: report.streams };
  });

/** Seeds `endpoints` histories: one append per stream, as fast as the store allows. */
export const seed = async (
  path: string,
  endpoints: number,
  signer?: AuditSigner,
): Promise<number> => {
  const store = new SqliteEventStore(path);
  // Seeding only (the measured reads open their own handle): one fsync per append would
  // make a million events take minutes, and durability of the seed is not what is measured.
  const db = (store as unknown as { db?: { pragma(sql: string): unknown } }).db;
  if (!db) throw new Error('SqliteEventStore no longer has a `db` field: update the seeding');
  db.pragma('synchronous = OFF');
  const kek = randomBytes(32);
  const dataKey = randomBytes(32);
  // Really sealed keys (ciphertext, hint and fingerprint as the command service makes them),
  // drawn from a pool: sealing each one costs more than storing it, and no read path
  // decrypts. Key ids and times are fresh per key.
  const sealedPool = Array.from({ length: 256 }, () =>
    sealSecret({
      endpointId: 'we_00000000000000000000000000000000',
      keyId: newKeyId(),
      secret: generateSecret(),
      dataKey,
      kekId: 'kek-bench',
      createdAt: new Date(),
    }),
  );
  let keysMade = 0;
  let appended = 0;
  try {
    for (let i = 0; i < endpoints; i++) {
      const endpointId = newEndpointId();
      let now = Date.parse('2026-01-01T00:00:00.000Z') + i * 1000;
      const metadata = () => ({
        actor: 'ak_01JBENCH0000000000000000',
        requestId: randomUUID(),
        occurredAt: new Date(now).toISOString(),
      });
      const dataKeyStream = dataKeyStreamName(endpointId);
      await store.append(
        dataKeyStream,
        chainEvents(
          dataKeyStream,
          0,
          GENESIS_HASH,
          [
            {
              type: 'DataKeyCreated',
              version: DATA_KEY_EVENT_VERSION,
              data: {
                endpointId,
                kekId: 'kek-bench',
                wrappedKey: seal(kek, dataKey, dataKeyAad(endpointId)),
              },
              metadata: { ...metadata(), actor: 'rotor-crypto' },
            },
          ],
          signer,
        ),
        'no_stream',
      );
      const key = (): SealedKey => ({
        ...sealedPool[keysMade++ % sealedPool.length],
        keyId: newKeyId(now),
        createdAt: new Date(now).toISOString(),
      });
      let state: EndpointState = initialState();
      const unchained: {
        type: string;
        version: number;
        data: unknown;
        metadata: ReturnType<typeof metadata>;
      }[] = [];
      const apply = (command: EndpointCommand) => {
        const events = decide(command, state);
        if (isDomainError(events)) throw new Error(`seeding: ${events.message}`);
        for (const event of events as EndpointEvent[]) {
          state = evolve(state, event);
          unchained.push({
            type: event.type,
            version: EVENT_VERSIONS[event.type],
            data: event.data,
            metadata: metadata(),
          });
        }
      };
      apply({
        type: 'RegisterEndpoint',
        data: {
          endpointId,
          tenantId: `tenant-${i % 100}`,
          url: `https://receiver.test/hooks/${i}`,
          key: key(),
        },
        now: new Date(now),
      });
      for (let r = 0; r < ROTATIONS; r++) {
        now += 30 * 86_400_000;
        apply({
          type: 'RotateSecret',
          data: { endpointId, key: key(), expireCurrentIn: 3600 },
          now: new Date(now),
        });
        const previous = state.status === 'active' ? state.previous : undefined;
        now += 3_600_000;
        apply({
          type: 'ExpirePreviousSecret',
          data: { endpointId, keyId: previous?.keyId ?? '' },
          now: new Date(now),
        });
      }
      if (unchained.length !== EVENTS_PER_ENDPOINT - 1)
        throw new Error(
          `seeding: ${unchained.length} endpoint events, expected ${EVENTS_PER_ENDPOINT - 1}`,
        );
      const stream = endpointStreamName(endpointId);
      await store.append(
        stream,
        chainEvents(stream, 0, GENESIS_HASH, unchained, signer),
        'no_stream',
      );
      appended += EVENTS_PER_ENDPOINT;
    }
  } finally {
    await store.close();
  }
  return appended;
};

/** Replay from sqlite through the two read paths, each repetition in a fresh process. */
export const replay: BenchCase = {
  name: 'replay',
  description:
    'replay events from sqlite: projection rebuild and audit verification (hash chains, with and without the key)',
  async run({ quick }) {
    const total = quick ? 100_000 : 1_000_000;
    const endpoints = total / EVENTS_PER_ENDPOINT;
    const runs = 3;
    const dir = tempDir('replay');
    try {
      const path = join(dir, 'rotor.sqlite');
      const seedStart = process.hrtime.bigint();
      // Signed as the command service writes once its ring has an audit key (chain v2).
      const auditKey = generateAuditPrivateKey();
      const events = await seed(path, endpoints, createAuditSigner(auditKey));
      const seedSeconds = Number(process.hrtime.bigint() - seedStart) / 1e9;
      const rebuilds: ReadResult[] = [];
      const verifies: ReadResult[] = [];
      const keyedVerifies: ReadResult[] = [];
      // Alternated, so a drift of the machine over the run touches every path alike.
      for (let i = 0; i < runs; i++) {
        rebuilds.push(
          await inFreshProcess<ReadResult>('replay-rebuild', { path }, ['--expose-gc']),
        );
        verifies.push(await inFreshProcess<ReadResult>('replay-verify', { path }, ['--expose-gc']));
        keyedVerifies.push(
          await inFreshProcess<ReadResult>('replay-verify', { path, auditKey }, ['--expose-gc']),
        );
      }
      for (const result of [...rebuilds, ...verifies, ...keyedVerifies])
        if (result.events !== events)
          throw new Error(`read ${result.events} events, seeded ${events}`);
      const rate = (results: ReadResult[]) => summarize(results.map((r) => r.events / r.seconds));
      const growth = (results: ReadResult[]) => summarize(results.map((r) => r.rssGrowthMb));
      const rebuildRate = rate(rebuilds);
      const verifyRate = rate(verifies);
      const rebuildRss = growth(rebuilds);
      const verifyRss = growth(verifies);
      const keyedRate = rate(keyedVerifies);
      const keyedRss = growth(keyedVerifies);
      return {
        name: this.name,
        parameters: {
          events,
          endpoints,
          streams: endpoints * 2,
          history: `DataKeyCreated; EndpointRegistered; ${ROTATIONS} x (SecretRotated, PreviousSecretExpired)`,
          chain: 'v2: every event signed with an Ed25519 audit key',
          reads:
            'stream by stream (readAllByStream): rebuild hands each view out as JSON once complete; ' +
            "verify is audit verify's own pass (verifyFeed), without anchors",
          store: 'sqlite file on local disk, page cache warm (seeded just before)',
          process:
            'each repetition in a fresh Node process (ts-node), RSS sampled every 5,000 events and at the peak',
          seedSeconds: Number(seedSeconds.toFixed(1)),
          runs,
          rebuildDetail: rebuilds[0].detail,
          rssBeforeMb: Number(rebuilds[0].rssBeforeMb.toFixed(1)),
        },
        metrics: [
          bounded(
            'rebuild (read + project), rate',
            'events/s',
            rebuildRate,
            { atLeast: 100_000 },
            '>= 100,000/s',
          ),
          bounded('rebuild, peak RSS growth', 'MiB', rebuildRss, { below: 100 }, '< 100 MiB'),
          bounded(
            'audit verify without the key (hash chains), rate',
            'events/s',
            verifyRate,
            { atLeast: 100_000 },
            '>= 100,000/s',
          ),
          bounded('audit verify, peak RSS growth', 'MiB', verifyRss, { below: 100 }, '< 100 MiB'),
          bounded(
            'audit verify with the audit key (+ Ed25519 signature of each stream head), rate',
            'events/s',
            keyedRate,
            { atLeast: 100_000 },
            '>= 100,000/s',
          ),
          bounded(
            'audit verify with the audit key, peak RSS growth',
            'MiB',
            keyedRss,
            { below: 100 },
            '< 100 MiB',
          ),
        ],
      };
    } finally {
      removeDir(dir);
    }
  },
};
