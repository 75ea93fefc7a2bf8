import 'reflect-metadata';
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import {
  DataKeyVault,
  generateKekRingText,
  generateSecret,
  newKeyId,
  parseKekRing,
  sealSecret,
} from '@rotor/crypto';
import {
  EVENT_VERSIONS,
  decide,
  endpointStreamName,
  evolve,
  initialState,
  isDomainError,
  upcast,
  type EndpointEvent,
  type EndpointState,
} from '@rotor/domain';
import {
  SqliteEventStore,
  chainEvents,
  type EventStore,
  type RecordedEvent,
} from '@rotor/event-store';
import { EndpointCommandsService } from '../../services/command/src/endpoint-commands.service';
import { removeDir, tempDir } from '../lib/processes';
import { ratioOf, type BenchCase, type Metric } from '../lib/result';
import { latencies, percentile, summarize } from '../lib/stats';

/**
 * Rotation latency against the length of the stream (issue 13, item 1): the command path
 * in process (EndpointCommandsService on the sqlite store, durable commits), on endpoints
 * whose histories were seeded directly into the store with 10 to 10,000 events. "cached"
 * is the service as it runs (the fold of a recently used stream is kept; a command reads
 * only the events after it); the baseline "cold" is a service with an empty cache for each
 * rotation, which reads and folds the whole stream as every command did before.
 */
const DEPTHS = [10, 100, 1_000, 10_000] as const;
const SEED_BATCH = 1_000;
const WARM_UP = 20;

export const rotateDepth: BenchCase = {
  name: 'rotate-depth',
  description: 'rotation latency at 10..10,000 events in the stream (in process, sqlite)',
  async run({ quick }) {
    const cachedRotations = quick ? 100 : 500;
    const coldRotations = quick ? 10 : 50;
    const runs = 3;
    const dir = tempDir('rotate-depth');
    const store = new SqliteEventStore(join(dir, 'rotor.sqlite'));
    try {
      const kekRing = parseKekRing(generateKekRingText());
      const vault = new DataKeyVault(store, kekRing);
      const clock = () => new Date();
      // The fsync'd append is timed apart: on a shared disk its latency is the noise, and
      // what must not grow with the stream is everything else (read, fold, decide, seal).
      let appendMs = 0;
      const timed: EventStore = Object.assign(Object.create(store) as SqliteEventStore, {
        append: async (...args: Parameters<EventStore['append']>) => {
          const started = process.hrtime.bigint();
          try {
            return await store.append(...args);
          } finally {
            appendMs += Number(process.hrtime.bigint() - started) / 1e6;
          }
        },
      });
      const service = () => new EndpointCommandsService(timed, vault, clock, kekRing);
      const meta = () => ({ actor: 'bench', requestId: randomUUID() });
      const seed = async (events: number): Promise<string> => {
        const { endpoint } = await service().register({ meta: meta(), tenantId: 'bench' });
        await seedRotations(store, endpoint.id, events - 1);
        return endpoint.id;
      };

      // Every history is seeded before anything is measured, so the WAL checkpoints that
      // the seeding causes are not paid by the measured rotations; fresh endpoints for each
      // run and phase, so every measurement starts at its depth.
      const seeded = new Map<number, { hot: string; cold: string }[]>();
      for (const depth of DEPTHS)
        seeded.set(
          depth,
          await Promise.all(
            Array.from({ length: runs }, async () => ({
              hot: await seed(depth),
              cold: await seed(depth),
            })),
          ),
        );
      const rotateWith = (commands: EndpointCommandsService, endpointId: string) => () =>
        commands.rotate({ meta: meta(), endpointId, expireCurrentIn: 0 });

      const metrics: Metric[] = [];
      const cachedMedians = new Map<number, number>();
      for (const depth of DEPTHS) {
        const cachedP50: number[] = [];
        const cachedP99: number[] = [];
        const coldP50: number[] = [];
        const asideP50: number[] = [];
        for (const { hot, cold } of seeded.get(depth)!) {
          const aside: number[] = [];
          const warm = service();
          await latencies(rotateWith(warm, hot), WARM_UP); // fills the cache
          const cached = await latencies(async () => {
            const before = appendMs;
            const started = process.hrtime.bigint();
            await rotateWith(warm, hot)();
            aside.push(Number(process.hrtime.bigint() - started) / 1e6 - (appendMs - before));
          }, cachedRotations);
          cachedP50.push(percentile(cached, 50));
          cachedP99.push(percentile(cached, 99));
          const coldLatencies = await latencies(() => rotateWith(service(), cold)(), coldRotations);
          coldP50.push(percentile(coldLatencies, 50));
          asideP50.push(
            percentile(
              aside.sort((a, b) => a - b),
              50,
            ),
          );
        }
        const rotor = summarize(cachedP50);
        const baseline = summarize(coldP50);
        const withoutAppend = summarize(asideP50);
        cachedMedians.set(depth, withoutAppend.median);
        metrics.push(
          {
            label: `rotation at ${depth.toLocaleString('en-US')} events, median`,
            unit: 'ms',
            rotor,
            baseline: { label: 'cold (whole stream read and folded)', value: baseline },
            ratio: ratioOf(rotor, baseline),
            target: '(reported)',
          },
          {
            label: `rotation at ${depth.toLocaleString('en-US')} events, median without the append`,
            unit: 'ms',
            rotor: withoutAppend,
            target: '(reported)',
          },
          {
            label: `rotation at ${depth.toLocaleString('en-US')} events, p99`,
            unit: 'ms',
            rotor: summarize(cachedP99),
            target: '(reported)',
          },
        );
      }
      const flatness = cachedMedians.get(10_000)! / cachedMedians.get(10)!;
      metrics.push({
        label: 'median without the append, 10,000 events / 10 events',
        unit: 'x',
        rotor: summarize([flatness]),
        target: '<= 1.5x (flat within noise)',
        met: flatness <= 1.5,
      });
      return {
        name: this.name,
        parameters: {
          store: 'sqlite (WAL, synchronous=FULL), local disk, this process',
          service: 'EndpointCommandsService in process (no NATS)',
          depths: DEPTHS,
          seeded:
            'registration, then SecretRotated + PreviousSecretExpired pairs, written directly',
          cachedRotationsPerRun: cachedRotations,
          coldRotationsPerRun: coldRotations,
          runs,
          request: 'expire_current_in 0 (each rotation appends 2 events)',
        },
        metrics,
      };
    } finally {
      await store.close();
      removeDir(dir);
    }
  },
};

/**
 * Appends `events` more events (rounded down to whole rotations) to a registered endpoint,
 * decided by the domain on its folded state and hash-chained like the command handler
 * does, in batches; the sealed keys are real-looking but under a throwaway data key.
 */
async function seedRotations(store: SqliteEventStore, endpointId: string, events: number) {
  const stream = endpointStreamName(endpointId);
  const recorded = await store.read(stream);
  let last: RecordedEvent | { revision: number; metadata: { hash: string } } = recorded.at(-1)!;
  let state: EndpointState = recorded.map(upcast).reduce(evolve, initialState());
  const dataKey = randomBytes(32);
  const secret = generateSecret(); // one for all: the seed's keys are never opened
  const start = Date.now() - 365 * 24 * 3600 * 1000;
  let pending: EndpointEvent[] = [];
  const flush = async () => {
    if (pending.length === 0) return;
    const chained = chainEvents(
      stream,
      last.revision + 1,
      last.metadata.hash,
      pending.map((event) => ({
        type: event.type,
        version: EVENT_VERSIONS[event.type],
        data: event.data,
        metadata: {
          actor: 'bench-seed',
          requestId: randomUUID(),
          occurredAt: new Date().toISOString(),
        },
      })),
    );
    const result = await store.append(stream, chained, last.revision);
    last = {
      revision: result.nextExpectedRevision,
      metadata: { hash: chained.at(-1)!.metadata.hash },
    };
    pending = [];
  };
  for (let i = 0; i < Math.floor(events / 2); i++) {
    const now = new Date(start + i * 1000);
    const decision = decide(
      {
        type: 'RotateSecret',
        data: {
          endpointId,
          key: sealSecret({
            endpointId,
            keyId: newKeyId(now.getTime()),
            secret,
            dataKey,
            kekId: 'seed',
            createdAt: now,
          }),
          expireCurrentIn: 0,
        },
        now,
      },
      state,
    );
    if (isDomainError(decision)) throw new Error(`seeding refused: ${decision.code}`);
    state = decision.reduce(evolve, state);
    pending.push(...decision);
    if (pending.length >= SEED_BATCH) await flush();
  }
  await flush();
}
