import type { EventStore } from '@rotor/event-store';
import { SqliteEventStore } from '@rotor/event-store';
import { waitFor } from '@rotor/testing';
import { closedGate, openGate, type Gate } from './gate';
import { describeWithNatsServer } from '../deployment/rotor-nats-server';
import { killAllStarted } from './child-process';
import { DistributedRotor } from './distributed-rotor';
import { formatSummary, type FaultRecord } from './fault-report';
import {
  PROBE_CLIENT,
  probePipeline,
  SIGNER_FRESH_WITHIN_MS,
  timeUntil,
  whyNotFresh,
} from './pipeline-probe';
import { RestClient, RestLoad } from './rest-load';
import { GATEWAY_DEADLINE_MS, runCli } from './rotor-deployment';
import { checkStore, overdueGracePeriods, readFeed, type StoreReport } from './store-invariants';
import { checkReplays, type ReplayReport } from './replays';
import { integrationEventProblems } from './integration-events-check';
import { few, NONE } from './fault-report';

/**
 * The fault tier, distributed mode (issue 10, item 5): six processes on a private
 * nats-server and a temp sqlite file, under concurrent REST load with retrying clients.
 * One at a time: kill -9 and restart of the command service, the projector, the signer,
 * the expiry service; SIGSTOP of the command service past the gateway's deadline, then
 * SIGCONT; kill -9 and restart of nats-server (same port, same store dir). After each, a
 * probe times the recovery of the whole pipeline. Then the invariants, against the store.
 *
 * The first test runs everything and records; each later test checks one invariant, so a
 * run says exactly which ones hold.
 */
const CLIENTS = 3;
const ROTATIONS_PER_ENDPOINT = 3;
const GRACE_SECONDS = 2;
const WARM_UP_OPERATIONS = 12;
/** The whole run: start-up, six faults, the checks. */
const RUN_TIMEOUT_MS = 285_000;

type FaultName =
  | 'kill -9 command'
  | 'kill -9 projector'
  | 'kill -9 signer'
  | 'kill -9 expiry'
  | 'SIGSTOP command'
  | 'kill -9 nats-server';

interface RunResult {
  readonly faults: FaultRecord[];
  readonly store: StoreReport;
  readonly replays: ReplayReport;
  /** Grace periods still open 5 s past their end, once the load stopped. */
  readonly overdue: string[];
  /** Finished endpoints not signed with their newest key at the end. */
  readonly notFresh: string[];
  readonly freshChecked: number;
  readonly viewDifferences: { code: number | null; differences: unknown[]; output: string };
  readonly audit: { code: number | null; ok: boolean; output: string };
  readonly crashed: string[];
  /** Store events missing from ROTOR_EVENTS, published twice, or out of order. */
  readonly integrationEvents: string[];
}

describeWithNatsServer('fault tier: distributed mode', () => {
  let rotor: DistributedRotor | undefined;
  let store: EventStore | undefined;
  let load: RestLoad | undefined;
  let result: RunResult | undefined;
  // Closed while a fault is injected: the clients' late retries wait for it to open.
  let gate: Gate = openGate();

  afterAll(async () => {
    // Normally stopped already; after a failure, no client may keep retrying.
    gate.open();
    await load?.abort();
    await store?.close();
    await rotor?.stop();
    await killAllStarted();
  }, 60_000);

  it(
    'runs the load through six faults and records what happened',
    async () => {
      rotor = await DistributedRotor.start();
      const client = new RestClient(rotor.baseUrl, rotor.apiKey, GATEWAY_DEADLINE_MS + 5_000);
      store = new SqliteEventStore(rotor.files.sqlitePath, { readOnly: true });
      load = new RestLoad({
        client,
        clients: CLIENTS,
        rotationsPerEndpoint: ROTATIONS_PER_ENDPOINT,
        graceSeconds: GRACE_SECONDS,
        settled: () => gate.promise,
        maxOperationsPerClient: 2_000,
        maxAttempts: 30,
        operationDeadlineMs: 60_000,
      });
      const running = rotor;
      const readStore = store;
      const active = load;

      // The probe's endpoint: its own, never touched by the clients.
      const probe = await active.execute(PROBE_CLIENT, 'register', '/v1/webhooks/endpoints', {
        url: 'https://receiver.test/probe',
      });
      if (probe.final?.status !== 201 || !probe.endpointId)
        throw new Error(`the probe endpoint was not registered: ${JSON.stringify(probe)}`);
      const probeId = probe.endpointId;

      active.start();
      await waitFor(
        () => active.acknowledged >= WARM_UP_OPERATIONS,
        'the load to warm up',
        60_000,
        50,
      );

      const inject: Record<FaultName, () => Promise<{ at: number; readyAt: number }>> = {
        'kill -9 command': () => killAndRestart('command'),
        'kill -9 projector': () => killAndRestart('projector'),
        'kill -9 signer': () => killAndRestart('signer'),
        'kill -9 expiry': () => killAndRestart('expiry'),
        'SIGSTOP command': async () => {
          const command = running.process('command');
          const at = Date.now();
          command.signal('SIGSTOP');
          // Past the deadline: a request sent after the pause has been answered by the
          // gateway's timeout (503) or timed out at the client.
          await waitFor(
            () =>
              active.operations.some((op) =>
                op.attempts.some(
                  (a) =>
                    a.at > at + GATEWAY_DEADLINE_MS &&
                    (a.outcome === 'timeout' ||
                      (typeof a.outcome === 'number' && a.outcome >= 500)),
                ),
              ),
            'a request to time out at the gateway while the command service is stopped',
            GATEWAY_DEADLINE_MS + 20_000,
            50,
          );
          command.signal('SIGCONT');
          return { at, readyAt: Date.now() };
        },
        'kill -9 nats-server': async () => {
          const { killedAt, readyAt } = await running.killAndRestartNats();
          return { at: killedAt, readyAt };
        },
      };
      async function killAndRestart(service: 'command' | 'projector' | 'signer' | 'expiry') {
        const { killedAt, readyAt } = await running.killAndRestart(service);
        return { at: killedAt, readyAt };
      }

      const faults: FaultRecord[] = [];
      for (const name of Object.keys(inject) as FaultName[]) {
        // Under load: at least one request in flight when the fault hits.
        await waitFor(() => active.inFlight > 0, `a request in flight before ${name}`, 10_000);
        gate = closedGate();
        const acknowledgedBefore = active.acknowledged;
        let injected: { at: number; readyAt: number };
        try {
          injected = await inject[name]();
        } finally {
          gate.open();
        }
        const acknowledgedDuring = active.acknowledged - acknowledgedBefore;
        const probed = await probePipeline(active, client, readStore, probeId, injected.readyAt);
        faults.push({
          name,
          at: injected.at,
          downMs: injected.readyAt - injected.at,
          acknowledgedDuring,
          probed: true,
          ...probed,
        });
      }

      await active.stop();
      const replays = await checkReplays(client, active.operations);

      // The expiry service's work: every grace period of the load ended (5 s of slack).
      let overdue: string[] = [];
      await timeUntil(
        async () => {
          overdue = overdueGracePeriods(
            await readFeed(running.files.sqlitePath),
            Date.now(),
            5_000,
          );
          return overdue.length === 0 && Date.now() > lastDueTime(active) + 5_000;
        },
        GRACE_SECONDS * 1000 + 20_000,
        500,
      );

      // A last write, then the signer signing with it: the projector has reached the head.
      const last = await active.execute(
        PROBE_CLIENT,
        'rotate',
        `/v1/webhooks/endpoints/${probeId}/secret/rotate`,
        { expire_current_in: 0, force: true },
        probeId,
      );
      if (last.final?.status === 200)
        await timeUntil(() => client.signsWith(probeId, String(last.final?.body?.secret)), 15_000);

      const { notFresh, checked } = await checkFinishedEndpoints(client, readStore, active);
      const compare = await runCli(
        ['projections', 'rebuild', '--compare', '--json'],
        running.files,
        running.nats.urlOf('cli'),
      );
      const audit = await runCli(['audit', 'verify', '--json'], running.files);
      const feed = await readFeed(running.files.sqlitePath);
      const storeReport = checkStore(feed, active.operations);
      const integrationEvents = await integrationEventProblems(
        running.nats.urlOf('cli'),
        feed,
        30_000,
      );

      result = {
        faults,
        store: storeReport,
        replays,
        overdue,
        notFresh,
        freshChecked: checked,
        viewDifferences: {
          code: compare.code,
          differences: (jsonOf(compare.stdout)?.differences as unknown[] | undefined) ?? [
            '(no JSON report)',
          ],
          output: compare.output,
        },
        audit: { code: audit.code, ok: jsonOf(audit.stdout)?.ok === true, output: audit.output },
        crashed: running.crashed(),
        integrationEvents,
      };
      // warn: shown even when the run passes; the summary reporter repeats the first line.
      console.warn(formatSummary('distributed', storeReport, faults, replays, active.operations));
      console.warn(JSON.stringify(details(result), null, 2));
    },
    RUN_TIMEOUT_MS,
  );

  const run = (): RunResult => {
    if (!result) throw new Error('the fault run did not complete: see the first test');
    return result;
  };

  it('loses no acknowledged write', () => {
    expect(few(run().store.lost)).toEqual(NONE);
  });

  it('executes no Idempotency-Key twice', () => {
    expect(few(run().store.duplicated)).toEqual(NONE);
  });

  it('records the Idempotency-Key of every acknowledged write in its event', () => {
    expect(few(run().store.untraceable)).toEqual(NONE);
  });

  it('answers a retry of a finished request with the first answer, secret included', () => {
    expect(few(run().replays.mismatches)).toEqual(NONE);
  });

  it("hands out secrets that match their stored key's fingerprint", () => {
    expect(few(run().store.fingerprintMismatches)).toEqual(NONE);
  });

  it('keeps every stream at contiguous revisions', () => {
    expect(few(run().store.revisionGaps)).toEqual(NONE);
  });

  it('passes audit verify', () => {
    const { audit } = run();
    expect({ code: audit.code, ok: audit.ok }).toEqual({ code: 0, ok: true });
  });

  it('keeps views equal to a rebuild from the store', () => {
    const { viewDifferences } = run();
    expect({ code: viewDifferences.code, differences: few(viewDifferences.differences) }).toEqual({
      code: 0,
      differences: NONE,
    });
  });

  it(`signs with the newest key within ${SIGNER_FRESH_WITHIN_MS / 1000} s of each recovery`, () => {
    const late = run().faults.flatMap((fault) => {
      const problems = [...fault.failures];
      if ((fault.signerFreshMs ?? Infinity) > SIGNER_FRESH_WITHIN_MS)
        problems.push(`probe signed with its new key after ${fault.signerFreshMs ?? 'never'} ms`);
      if ((fault.samplesFreshMs ?? Infinity) > SIGNER_FRESH_WITHIN_MS)
        problems.push(`finished endpoints fresh after ${fault.samplesFreshMs ?? 'never'} ms`);
      return problems.map((problem) => `${fault.name}: ${problem}`);
    });
    expect(few(late, 10)).toEqual(NONE);
  });

  it('publishes every store event once on ROTOR_EVENTS, in order, across every kill', () => {
    expect(few(run().integrationEvents)).toEqual(NONE);
  });

  it('signs every finished endpoint with its newest key once the faults are over', () => {
    expect(few(run().notFresh)).toEqual(NONE);
  });

  it('ends every grace period (the expiry service recovered)', () => {
    expect(few(run().overdue)).toEqual(NONE);
  });

  it('answers every request within the bounds, and no service dies by itself', () => {
    expect({ unanswered: run().store.unanswered, crashed: run().crashed }).toEqual({
      unanswered: 0,
      crashed: [],
    });
  });
});

/** When the last grace period the load opened ends. */
function lastDueTime(load: RestLoad): number {
  return Math.max(
    0,
    ...load.operations
      .filter((op) => op.kind === 'rotate' && op.final?.status === 200)
      .map((op) => Date.parse(String(op.final?.body?.previous_secret_expires_at)) || 0),
  );
}

/** Every finished endpoint, signed with its newest secret? Bounded to 20 s in all. */
async function checkFinishedEndpoints(
  client: RestClient,
  store: EventStore,
  load: RestLoad,
): Promise<{ notFresh: string[]; checked: number }> {
  const pending = new Map(load.finished.map((endpoint) => [endpoint.endpointId, endpoint]));
  const checked = pending.size;
  await timeUntil(
    async () => {
      for (const [id, endpoint] of pending)
        if (await client.signsWith(id, endpoint.secret)) pending.delete(id);
      return pending.size === 0;
    },
    20_000,
    200,
  );
  const notFresh: string[] = [];
  for (const endpoint of pending.values())
    notFresh.push(`${endpoint.endpointId}: ${await whyNotFresh(store, endpoint)}`);
  return { notFresh, checked };
}

function jsonOf(text: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(text.trim().split('\n').at(-1) ?? '') as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** What a failing run prints besides the summary: the first few of each kind. */
function details(result: RunResult): Record<string, unknown> {
  return {
    faults: result.faults,
    lost: few(result.store.lost),
    duplicated: few(result.store.duplicated),
    untraceable: few(result.store.untraceable),
    fingerprintMismatches: few(result.store.fingerprintMismatches),
    revisionGaps: few(result.store.revisionGaps),
    executedUnacknowledged: result.store.executedUnacknowledged,
    replays: { checked: result.replays.checked, mismatches: few(result.replays.mismatches) },
    overdue: few(result.overdue),
    notFresh: { checked: result.freshChecked, ...few(result.notFresh) },
    views: {
      code: result.viewDifferences.code,
      differences: few(result.viewDifferences.differences),
    },
    audit: { code: result.audit.code, ok: result.audit.ok },
    crashed: result.crashed,
    integrationEvents: few(result.integrationEvents),
  };
}
