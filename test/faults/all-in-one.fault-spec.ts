import { waitFor } from '@rotor/testing';
import { closedGate, openGate, type Gate } from './gate';
import { freePorts } from '../deployment/rotor-nats-server';
import { killAllStarted, type StartedProcess } from './child-process';
import { few, formatSummary, NONE, type FaultRecord } from './fault-report';
import { checkReplays, type ReplayReport } from './replays';
import { RestClient, RestLoad, type Operation } from './rest-load';
import {
  createRunFiles,
  isAllInOneReady,
  prepareStore,
  startAllInOne,
  type RunFiles,
} from './rotor-deployment';
import { checkStore, readFeed, type StoreReport } from './store-invariants';

/**
 * The fault tier, all-in-one mode (issue 10, item 5): `npm start`'s entry point on a temp
 * data dir under concurrent REST load with retrying clients, killed -9 mid-load and
 * restarted on the same data dir, twice. The clients retry their keys across each restart;
 * then a sample of the answered keys is sent again. No key may execute twice, no
 * acknowledged write may be lost.
 */
const CLIENTS = 3;
const KILLS = 2;
const WARM_UP_OPERATIONS = 30;
/** Writes acknowledged after a restart before the next kill: the load really resumed. */
const AFTER_RESTART_OPERATIONS = 30;
const START_TIMEOUT_MS = 90_000;
const RUN_TIMEOUT_MS = 240_000;

interface RunResult {
  readonly faults: FaultRecord[];
  readonly store: StoreReport;
  readonly replays: ReplayReport;
  /** Operations sent before a kill and answered after the restart. */
  readonly retriedAcrossRestart: number;
}

describe('fault tier: all-in-one mode', () => {
  let files: RunFiles | undefined;
  let rotor: StartedProcess | undefined;
  let load: RestLoad | undefined;
  let result: RunResult | undefined;
  let gate: Gate = openGate();

  afterAll(async () => {
    // Normally stopped already; after a failure, no client may keep retrying.
    gate.open();
    await load?.abort();
    await rotor?.stop();
    await killAllStarted();
    files?.remove();
  }, 60_000);

  it(
    'runs the load through kill -9 and restarts and records what happened',
    async () => {
      const run = createRunFiles('rotor-faults-all-in-one-');
      files = run;
      const apiKey = await prepareStore(run, 'tenant-faults');
      const [port] = await freePorts(1);
      const start = async (): Promise<StartedProcess> => {
        const started = startAllInOne(run, port);
        rotor = started;
        try {
          await waitFor(
            () => isAllInOneReady(started, port),
            'the all-in-one process to answer /health',
            START_TIMEOUT_MS,
            100,
          );
        } catch (error) {
          throw new Error(`${(error as Error).message}\n${started.tail()}`);
        }
        return started;
      };

      let current = await start();
      const client = new RestClient(`http://127.0.0.1:${port}`, apiKey, 15_000);
      const active = new RestLoad({
        client,
        clients: CLIENTS,
        rotationsPerEndpoint: 3,
        graceSeconds: 2,
        settled: () => gate.promise,
        maxOperationsPerClient: 2_000,
        maxAttempts: 30,
        operationDeadlineMs: 60_000,
      });
      load = active;
      active.start();
      await waitFor(
        () => active.acknowledged >= WARM_UP_OPERATIONS,
        'the load to warm up',
        60_000,
        50,
      );

      const faults: FaultRecord[] = [];
      for (let kill = 1; kill <= KILLS; kill += 1) {
        await waitFor(() => active.inFlight > 0, 'a request in flight before the kill', 10_000);
        gate = closedGate();
        const acknowledgedBefore = active.acknowledged;
        const at = Date.now();
        try {
          await current.kill();
          current = await start();
        } finally {
          gate.open();
        }
        const readyAt = Date.now();
        const acknowledgedDuring = active.acknowledged - acknowledgedBefore;
        const resumed = active.acknowledged;
        await waitFor(
          () => active.acknowledged >= resumed + AFTER_RESTART_OPERATIONS,
          'the load to resume after the restart',
          60_000,
          50,
        );
        faults.push({
          name: `kill -9 all-in-one #${kill}`,
          at,
          downMs: readyAt - at,
          acknowledgedDuring,
          probed: false,
          failures: [],
        });
      }

      await active.stop();
      // After the restarts: keys answered by an earlier process, sent again.
      const replays = await checkReplays(client, active.operations);
      await current.stop();
      const store = checkStore(await readFeed(run.sqlitePath), active.operations);
      result = {
        faults,
        store,
        replays,
        retriedAcrossRestart: retriedAcross(active.operations, faults),
      };
      // warn: shown even when the run passes; the summary reporter repeats the first line.
      console.warn(
        `${formatSummary('all-in-one', store, faults, replays, active.operations)}\n` +
          `  operations retried across a restart: ${result.retriedAcrossRestart}`,
      );
    },
    RUN_TIMEOUT_MS,
  );

  const run = (): RunResult => {
    if (!result) throw new Error('the fault run did not complete: see the first test');
    return result;
  };

  it('retried operations across each restart (the test did what it says)', () => {
    expect(run().retriedAcrossRestart).toBeGreaterThan(0);
  });

  it('loses no acknowledged write', () => {
    expect(few(run().store.lost)).toEqual(NONE);
  });

  it('executes no Idempotency-Key twice, across restarts too', () => {
    expect(few(run().store.duplicated)).toEqual(NONE);
  });

  it('answers a key sent again after a restart with its first answer', () => {
    expect(few(run().replays.mismatches)).toEqual(NONE);
  });

  it("hands out secrets that match their stored key's fingerprint", () => {
    expect(few(run().store.fingerprintMismatches)).toEqual(NONE);
  });

  it('keeps every stream at contiguous revisions', () => {
    expect(few(run().store.revisionGaps)).toEqual(NONE);
  });

  it('answers every request within the bounds', () => {
    expect(run().store.unanswered).toBe(0);
  });
});

const retriedAcross = (operations: readonly Operation[], faults: readonly FaultRecord[]) =>
  operations.filter((op) =>
    faults.some(
      (fault) =>
        op.startedAt < fault.at && op.final !== undefined && op.final.at > fault.at + fault.downMs,
    ),
  ).length;
