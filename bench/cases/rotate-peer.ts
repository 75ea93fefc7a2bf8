import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { DataKeyVault, generateKekRingText, parseKekRing } from '@rotor/crypto';
import { endpointStreamName } from '@rotor/domain';
import { createEventStore } from '@rotor/event-store';
import { EndpointCommandsService } from '../../services/command/src/endpoint-commands.service';
import { emmettRotations, loadEmmett } from '../peers/emmett/peer';
import { removeDir, tempDir } from '../lib/processes';
import { RawAppend, rowBytesOf, rowsPerSecondOf } from '../lib/raw-append';
import { ratioOf, reported, type BenchCase, type Metric } from '../lib/result';
import { inTurns, latencies, percentile, summarize } from '../lib/stats';

/** What both sides do, measured the same way. */
interface Rotations {
  register(): Promise<string>;
  rotate(endpointId: string): Promise<unknown>;
}

/**
 * Rotor against the best TypeScript event-sourcing library on Rotor's own workload (issue
 * 13): the same decider (`decide`/`evolve` of @rotor/domain) and the same two events per
 * rotation (SecretRotated + PreviousSecretExpired, grace 0), durable on sqlite (WAL,
 * synchronous=FULL) on both sides, in this process, in turns within each run. Rotor
 * is its command path as the command service runs it (EndpointCommandsService on the store
 * `createEventStore` gives: a worker thread with group commit), without NATS; the peer is
 * emmett's `CommandHandler` on emmett-sqlite (bench/peers/emmett). The floor is one raw
 * fsync'd append of the same rows (bench/lib/raw-append.ts). Fresh endpoints for each run
 * and phase; the sequential phase goes round-robin over a pool so streams stay short.
 */
const CHUNK = 50;

export const rotatePeer: BenchCase = {
  name: 'rotate-peer',
  description:
    "rotation: Rotor's command path vs emmett's CommandHandler (sqlite, FULL), in process",
  async run({ quick }) {
    const sequential = quick ? 100 : 400;
    const pool = quick ? 20 : 50;
    const clients = 64;
    const perClient = quick ? 5 : 20;
    const runs = 3;
    const emmett = loadEmmett();
    const dir = tempDir('rotate-peer');
    const store = createEventStore({ kind: 'sqlite', sqlitePath: join(dir, 'rotor.sqlite') });
    // With the ring's audit key, as the command service runs: each append is signed.
    const ring = parseKekRing(generateKekRingText());
    const service = new EndpointCommandsService(
      store,
      new DataKeyVault(store, ring),
      () => new Date(),
      ring,
    );
    const meta = () => ({ actor: 'bench', requestId: randomUUID() });
    const rotationsOf = (on: EndpointCommandsService): Rotations => ({
      register: async () => (await on.register({ meta: meta(), tenantId: 'bench' })).endpoint.id,
      rotate: (endpointId) =>
        on.rotate({ meta: meta(), endpointId, expireCurrentIn: 0, force: true }),
    });
    const rotor = rotationsOf(service);
    // The same path without the audit key: what signing each event (Ed25519) costs, which
    // the peer does not do. Reported, not judged: Rotor always runs signed.
    const unsignedStore = createEventStore({
      kind: 'sqlite',
      sqlitePath: join(dir, 'rotor-unsigned.sqlite'),
    });
    const unsignedRing = { ...ring, audit: undefined };
    const unsigned = rotationsOf(
      new EndpointCommandsService(
        unsignedStore,
        new DataKeyVault(unsignedStore, ring),
        () => new Date(),
        unsignedRing,
      ),
    );
    const peerError = 'error' in emmett ? emmett.error : undefined;
    const peer =
      'error' in emmett ? undefined : await emmettRotations(emmett, join(dir, 'emmett.sqlite'));
    let opened: RawAppend | undefined;
    try {
      const register = async (side: Rotations, n: number) => {
        const ids: string[] = [];
        for (let i = 0; i < n; i += 8)
          // a few at a time: set-up, not measured
          ids.push(
            ...(await Promise.all(
              Array.from({ length: Math.min(8, n - i) }, () => side.register()),
            )),
          );
        return ids;
      };
      // Round-robin over a fresh pool of the side's endpoints: `calls` rotations at a time.
      const sequentialOn = async (side: Rotations) => {
        const endpoints = await register(side, pool);
        let turn = 0;
        return (calls: number) => latencies(() => side.rotate(endpoints[turn++ % pool]), calls);
      };
      const throughput = async (side: Rotations) => {
        const own = await register(side, clients);
        const start = process.hrtime.bigint();
        await Promise.all(
          own.map(async (endpointId) => {
            for (let i = 0; i < perClient; i++) await side.rotate(endpointId);
          }),
        );
        return (clients * perClient) / (Number(process.hrtime.bigint() - start) / 1e9);
      };

      // Warm-up (JIT, files, WAL) on both sides; the rows of a real rotation size the raw append.
      const sides = peer ? [rotor, peer] : [rotor];
      for (const side of sides) {
        const [endpointId] = await register(side, 1);
        await latencies(() => side.rotate(endpointId), 20);
      }
      const [sizing] = await register(rotor, 1);
      await rotor.rotate(sizing);
      const rowBytes = rowBytesOf((await store.read(endpointStreamName(sizing))).slice(-2));
      const raw = (opened = RawAppend.open(rowBytes));

      const rotorP50: number[] = [];
      const emmettP50: number[] = [];
      const appendP50: number[] = [];
      const appendRows: number[] = [];
      const groupedRows: number[] = [];
      for (let run = 0; run < runs; run++) {
        const [rotorSamples, appendSamples, peerSamples] = await inTurns(sequential, CHUNK, [
          await sequentialOn(rotor),
          (calls) => raw.appends(calls),
          ...(peer ? [await sequentialOn(peer)] : []),
        ]);
        rotorP50.push(percentile(rotorSamples, 50));
        appendP50.push(percentile(appendSamples, 50));
        appendRows.push(rowsPerSecondOf(raw, appendSamples));
        if (peerSamples) emmettP50.push(percentile(peerSamples, 50));
      }
      const rotorRate: number[] = [];
      const emmettRate: number[] = [];
      const unsignedRate: number[] = [];
      await throughput(unsigned); // its warm-up
      for (let run = 0; run < runs; run++) {
        rotorRate.push(await throughput(rotor));
        if (peer) emmettRate.push(await throughput(peer));
        unsignedRate.push(await throughput(unsigned));
        groupedRows.push(raw.groupedRowsPerSecond(clients, 10));
      }

      const rate = summarize(rotorRate);
      const p50 = summarize(rotorP50);
      const peerRate = peer ? summarize(emmettRate) : undefined;
      const peerP50 = peer ? summarize(emmettP50) : undefined;
      const metrics: Metric[] = [
        {
          label: `${clients} concurrent clients, throughput vs emmett`,
          unit: 'rotations/s',
          rotor: rate,
          ...(peerRate
            ? {
                baseline: { label: 'emmett CommandHandler + emmett-sqlite', value: peerRate },
                ratio: ratioOf(rate, peerRate),
              }
            : {}),
          target: '>= 8x emmett',
          met: peerRate ? ratioOf(rate, peerRate) >= 8 : false,
        },
        {
          label: `${clients} concurrent clients, Rotor without audit signatures (unsigned chain)`,
          unit: 'rotations/s',
          rotor: summarize(unsignedRate),
          ...(peerRate
            ? {
                baseline: { label: 'emmett CommandHandler + emmett-sqlite', value: peerRate },
                ratio: ratioOf(summarize(unsignedRate), peerRate),
              }
            : {}),
          target: '(reported)',
        },
        {
          label: 'sequential rotation, median latency vs emmett',
          unit: 'ms',
          rotor: p50,
          ...(peerP50
            ? {
                baseline: { label: 'emmett CommandHandler + emmett-sqlite', value: peerP50 },
                ratio: ratioOf(p50, peerP50),
              }
            : {}),
          target: '(reported)',
        },
        reported(
          `raw fsync'd append (${rowBytes.length} rows, ${rowBytes.join(' + ')} bytes), median latency`,
          'ms',
          summarize(appendP50),
        ),
        reported("raw fsync'd appends back to back", 'rows/s', summarize(appendRows)),
        reported(
          `raw fsync'd appends, ${clients} per transaction`,
          'rows/s',
          summarize(groupedRows),
        ),
      ];
      return {
        name: this.name,
        parameters: {
          rotor: {
            path: 'EndpointCommandsService in process (no NATS, no Nest)',
            store: 'createEventStore sqlite: worker thread, group commit, WAL, synchronous=FULL',
            perRotation:
              'data-key read, fresh key sealed, hash chain, append expecting the revision read',
          },
          emmett: peer
            ? { ...peer.settings, handler: 'CommandHandler, decide/evolve of @rotor/domain' }
            : { unavailable: peerError },
          rawAppend: `better-sqlite3, WAL, synchronous=FULL, bare table, rows of ${rowBytes.join(' + ')} bytes`,
          request: 'RotateSecret, expireCurrentIn 0, force: SecretRotated + PreviousSecretExpired',
          sequentialPerRun: sequential,
          endpointsRoundRobin: `${pool}, fresh each run`,
          streamLengthAtEnd: `about ${1 + 2 * Math.ceil(sequential / pool)} events`,
          concurrentClients: `${clients}, each on a fresh endpoint of its own each run`,
          rotationsPerClient: perClient,
          runs,
          unsigned:
            'the same Rotor path with a KEK ring without its audit key (chain v1, no Ed25519 per event), its own file',
          order: `sequential: Rotor, raw append and emmett in turns of ${CHUNK}; concurrent: Rotor, emmett, Rotor unsigned, then 10 raw transactions of ${clients} appends, each run`,
        },
        metrics,
        ...(peerError ? { notes: [`emmett peer unavailable: ${peerError}`] } : {}),
      };
    } finally {
      opened?.close();
      await peer?.close();
      await store.close();
      await unsignedStore.close();
      removeDir(dir);
    }
  },
};
