import { Distributed, meta } from '../lib/distributed';
import { ratioOf, reported, type BenchCase } from '../lib/result';
import { latencies, percentile, summarize } from '../lib/stats';

/**
 * Rotations over NATS: the command service in its own process on the sqlite store with
 * durable commits (WAL, synchronous=FULL: one fsync per append), against a plain nats.js
 * echo of the same bytes. Sequential rotations go round-robin over many endpoints so that
 * no stream grows far beyond what a real endpoint accumulates (each command reads and folds
 * its whole stream); the concurrent part runs 64 clients, each on an endpoint of its own.
 */
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
      const endpoints = await register(pool);
      let turn = 0;
      const rotateNext = () => rotor.rotate(endpoints[turn++ % endpoints.length], 0);
      const sample = client.body({
        meta: meta(),
        endpointId: endpoints[0],
        expireCurrentIn: 0,
        force: true,
      });

      const p50: number[] = [];
      const p99: number[] = [];
      const echoP50: number[] = [];
      const echoP99: number[] = [];
      await latencies(rotateNext, Math.min(50, sequential)); // warm-up
      await latencies(() => client.echo(sample), Math.min(50, sequential));
      for (let run = 0; run < runs; run++) {
        const rotate = await latencies(rotateNext, sequential);
        const echo = await latencies(() => client.echo(sample), sequential);
        p50.push(percentile(rotate, 50));
        p99.push(percentile(rotate, 99));
        echoP50.push(percentile(echo, 50));
        echoP99.push(percentile(echo, 99));
      }
      const eventsPerStream = 1 + Math.ceil(((sequential * runs + 50) / pool) * 2);

      const throughput: number[] = [];
      const concurrentP99: number[] = [];
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
        concurrentP99.push(
          percentile(
            all.sort((a, b) => a - b),
            99,
          ),
        );
      }

      const median = summarize(p50);
      const echo = summarize(echoP50);
      const rate = summarize(throughput);
      return {
        name: this.name,
        parameters: {
          store: 'sqlite (WAL, synchronous=FULL), local disk',
          service: 'command: its own process (ts-node), one nats-server',
          sequentialPerRun: sequential,
          endpointsRoundRobin: pool,
          streamLengthAtEnd: `about ${eventsPerStream} events (each rotation: SecretRotated + PreviousSecretExpired)`,
          concurrentClients: clients,
          rotationsPerClient: perClient,
          runs,
          request: 'expire_current_in 0, force true',
        },
        metrics: [
          {
            label: 'sequential rotation, median latency',
            unit: 'ms',
            rotor: median,
            baseline: { label: 'raw nats.js echo', value: echo },
            ratio: ratioOf(median, echo),
            target: '<= 2.5x echo',
            met: ratioOf(median, echo) <= 2.5,
          },
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
            target: '>= 1,000/s',
            met: rate.median >= 1000,
          },
          reported(`${clients} concurrent clients, p99 latency`, 'ms', summarize(concurrentP99)),
        ],
      };
    } finally {
      await rotor.stop();
    }
  },
};
