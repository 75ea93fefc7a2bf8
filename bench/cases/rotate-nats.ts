import { NatsRig } from '../lib/nats-rig';
import { ratioOf, type BenchCase } from '../lib/result';
import { latencies, percentile, repeat } from '../lib/stats';

/** Rotations over NATS on the sqlite store with durable commits (synchronous=FULL). */
export const rotateNats: BenchCase = {
  name: 'rotate-nats',
  description: 'rotate over NATS: sequential latency and 64 concurrent clients vs a raw NATS echo',
  async run({ quick }) {
    const rig = await NatsRig.start('command');
    try {
      const sequential = quick ? 100 : 500;
      const perClient = quick ? 5 : 20;
      const clients = 64;
      const runs = 3;
      const endpoints = await Promise.all(Array.from({ length: clients }, () => rig.register()));
      const first = endpoints[0].endpoint.id;
      const sample = {
        meta: { actor: 'bench', requestId: 'x' },
        endpointId: first,
        expireCurrentIn: 0,
        force: true,
      };

      const p50s: number[] = [];
      const p99s: number[] = [];
      const median = await repeat(runs, async () => {
        const sorted = await latencies(() => rig.rotate(first), sequential);
        p50s.push(percentile(sorted, 50));
        p99s.push(percentile(sorted, 99));
        return percentile(sorted, 50);
      });
      const p99 = await repeat(1, () => Math.max(...p99s));
      const echo = await repeat(runs, async () =>
        percentile(await latencies(() => rig.echo(sample), sequential), 50),
      );
      const throughput = await repeat(runs, async () => {
        const start = process.hrtime.bigint();
        await Promise.all(
          endpoints.map(async ({ endpoint }) => {
            for (let i = 0; i < perClient; i++) await rig.rotate(endpoint.id);
          }),
        );
        return (clients * perClient) / (Number(process.hrtime.bigint() - start) / 1e9);
      });
      return {
        name: this.name,
        parameters: {
          store: 'sqlite (WAL, synchronous=FULL)',
          sequential,
          clients,
          perClient,
          runs,
        },
        metrics: [
          {
            label: 'sequential rotation, median latency',
            unit: 'ms',
            rotor: median,
            baseline: { label: 'raw NATS echo', value: echo },
            ratio: ratioOf(median, echo),
            target: '<= 2.5x echo',
            met: ratioOf(median, echo) <= 2.5,
          },
          {
            label: 'sequential rotation, p99 latency (worst run)',
            unit: 'ms',
            rotor: p99,
            target: '(reported)',
            met: true,
          },
          {
            label: '64 concurrent clients, throughput',
            unit: 'rotations/s',
            rotor: throughput,
            target: '>= 1,000/s',
            met: throughput.median >= 1000,
          },
        ],
      };
    } finally {
      await rig.close();
    }
  },
};
