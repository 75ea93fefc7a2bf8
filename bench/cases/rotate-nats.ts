import { endpointStreamName } from '@rotor/domain';
import { SqliteEventStore } from '@rotor/event-store';
import { Distributed, meta } from '../lib/distributed';
import { RawAppend, rowBytesOf } from '../lib/raw-append';
import { ratioOf, reported, type BenchCase } from '../lib/result';
import { inTurns, latencies, percentile, summarize } from '../lib/stats';

/**
 * Rotations over NATS: the command service in its own process on the sqlite store with
 * durable commits (WAL, synchronous=FULL: one fsync per append), against what the work
 * cannot avoid, measured in the same run (issue 13): a plain nats.js echo of the same bytes
 * plus one raw fsync'd append of the same rows (bench/lib/raw-append.ts). Sequential
 * rotations go round-robin over a pool of endpoints, fresh each run, so streams stay as
 * short as a real endpoint's; the concurrent part runs 64 clients, each on a fresh endpoint
 * of its own each run.
 */
const CHUNK = 50;

export const rotateNats: BenchCase = {
  name: 'rotate-nats',
  description: 'rotate over NATS (sqlite, synchronous=FULL): sequential latency, 64 clients',
  async run({ quick }) {
    const sequential = quick ? 150 : 1000;
    const pool = quick ? 50 : 200;
    const clients = 64;
    const perClient = quick ? 8 : 30;
    const runs = 3;
    const rotor = await Distributed.start(['command']);
    let opened: RawAppend | undefined;
    try {
      const client = rotor.client;
      const register = async (n: number) => {
        const ids: string[] = [];
        // A few at a time: registration is set-up, not measured.
        for (let i = 0; i < n; i += 8)
          ids.push(
            ...(await Promise.all(
              Array.from(
                { length: Math.min(8, n - i) },
                async () => (await rotor.register()).endpoint.id,
              ),
            )),
          );
        return ids;
      };
      const [first] = await register(1);
      await latencies(() => rotor.rotate(first, 0), Math.min(50, sequential)); // warm-up
      const sample = client.body({
        meta: meta(),
        endpointId: first,
        expireCurrentIn: 0,
        force: true,
      });
      await latencies(() => client.echo(sample), Math.min(50, sequential));
      // The rows one rotation wrote, as the store holds them: the raw append writes as many bytes.
      const reader = new SqliteEventStore(rotor.sqlitePath, { readOnly: true });
      const rowBytes = rowBytesOf((await reader.read(endpointStreamName(first))).slice(-2));
      await reader.close();
      const raw = (opened = RawAppend.open(rowBytes));

      const p50: number[] = [];
      const p99: number[] = [];
      const echoP50: number[] = [];
      const echoP99: number[] = [];
      const appendP50: number[] = [];
      for (let run = 0; run < runs; run++) {
        const endpoints = await register(pool);
        let turn = 0;
        const [rotate, echo, append] = await inTurns(sequential, CHUNK, [
          (calls) => latencies(() => rotor.rotate(endpoints[turn++ % endpoints.length], 0), calls),
          (calls) => latencies(() => client.echo(sample), calls),
          (calls) => raw.appends(calls),
        ]);
        p50.push(percentile(rotate, 50));
        p99.push(percentile(rotate, 99));
        echoP50.push(percentile(echo, 50));
        echoP99.push(percentile(echo, 99));
        appendP50.push(percentile(append, 50));
      }
      const eventsPerStream = 1 + 2 * Math.ceil(sequential / pool);

      const throughput: number[] = [];
      const concurrentP99: number[] = [];
      const groupedFloor: number[] = [];
      for (let run = 0; run < runs; run++) {
        const own = await register(clients); // fresh endpoints: streams as short as at the start
        const all: number[] = [];
        const start = process.hrtime.bigint();
        await Promise.all(
          own.map(async (endpointId) => {
            for (let i = 0; i < perClient; i++) {
              const t = process.hrtime.bigint();
              await rotor.rotate(endpointId, 0);
              all.push(Number(process.hrtime.bigint() - t) / 1e6);
            }
          }),
        );
        throughput.push((clients * perClient) / (Number(process.hrtime.bigint() - start) / 1e9));
        // What 64 appends per fsync'd transaction allow, right after: the ceiling of group commit.
        groupedFloor.push(raw.groupedRowsPerSecond(clients, 10) / rowBytes.length);
        concurrentP99.push(
          percentile(
            all.sort((a, b) => a - b),
            99,
          ),
        );
      }

      const median = summarize(p50);
      const echo = summarize(echoP50);
      const floor = summarize(echoP50.map((e, run) => e + appendP50[run]));
      const rate = summarize(throughput);
      return {
        name: this.name,
        parameters: {
          store: 'sqlite (WAL, synchronous=FULL), local disk',
          service: 'command: its own process (ts-node), one nats-server',
          sequentialPerRun: sequential,
          endpointsRoundRobin: `${pool}, fresh each run`,
          streamLengthAtEnd: `about ${eventsPerStream} events (each rotation: SecretRotated + PreviousSecretExpired)`,
          concurrentClients: `${clients}, each on a fresh endpoint of its own each run`,
          rotationsPerClient: perClient,
          runs,
          request: 'expire_current_in 0, force true',
          rawAppend: `better-sqlite3, WAL, synchronous=FULL, bare table, rows of ${rowBytes.join(' + ')} bytes, this process`,
          interleaved: `rotations, echoes and raw appends in turns of ${CHUNK}; the 64-per-transaction floor after each concurrent run`,
        },
        metrics: [
          {
            label: 'sequential rotation, median latency',
            unit: 'ms',
            rotor: median,
            baseline: { label: "raw nats.js echo + raw fsync'd append", value: floor },
            ratio: ratioOf(median, floor),
            target: "<= 1.5x (echo + raw fsync'd append)",
            met: ratioOf(median, floor) <= 1.5,
          },
          reported('raw nats.js echo, median latency', 'ms', echo),
          reported(
            `raw fsync'd append (${rowBytes.length} rows, ${rowBytes.join(' + ')} bytes), median latency`,
            'ms',
            summarize(appendP50),
          ),
          {
            label: 'sequential rotation, p99 latency',
            unit: 'ms',
            rotor: summarize(p99),
            baseline: { label: 'raw nats.js echo', value: summarize(echoP99) },
            ratio: ratioOf(summarize(p99), summarize(echoP99)),
            target: '(reported)',
          },
          {
            label: `${clients} concurrent clients, throughput`,
            unit: 'rotations/s',
            rotor: rate,
            baseline: {
              label: `raw fsync'd appends, ${clients} per transaction`,
              value: summarize(groupedFloor),
            },
            ratio: ratioOf(rate, summarize(groupedFloor)),
            target: '>= 3,000/s',
            met: rate.median >= 3000,
          },
          reported(`${clients} concurrent clients, p99 latency`, 'ms', summarize(concurrentP99)),
        ],
      };
    } finally {
      opened?.close();
      await rotor.stop();
    }
  },
};
