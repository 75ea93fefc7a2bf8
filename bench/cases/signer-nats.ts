import { randomBytes } from 'node:crypto';
import { SUBJECTS, type SignBatchReply } from '@rotor/contracts';
import { waitFor } from '@rotor/testing';
import { NatsRig } from '../lib/nats-rig';
import { ratioOf, type BenchCase } from '../lib/result';
import { latencies, percentile, repeat, summarize } from '../lib/stats';

/** The signer over NATS: one request, and the batch subject, against a raw echo. */
export const signerNats: BenchCase = {
  name: 'signer-nats',
  description: 'sign over NATS (single and batch of 100) vs a raw NATS echo',
  async run({ quick }) {
    const rig = await NatsRig.start('command', 'projector', 'signer');
    try {
      const requests = quick ? 300 : 2000;
      const batches = quick ? 30 : 200;
      const runs = 3;
      const { endpoint } = await rig.register();
      await rig.rotate(endpoint.id, 3600);
      const payload = randomBytes(512).toString('hex');
      const request = () => ({
        endpointId: endpoint.id,
        msgId: `msg_${randomBytes(8).toString('hex')}`,
        timestamp: Math.floor(Date.now() / 1000),
        payload,
      });
      await waitFor(
        async () => (await rig.sign(request())).headers.webhookSignature.split(' ').length === 2,
        'the signer to hold both keys',
        30_000,
      );

      const single = await repeat(runs, async () =>
        percentile(await latencies(() => rig.sign(request()), requests), 50),
      );
      const echo = await repeat(runs, async () =>
        percentile(await latencies(() => rig.echo(request()), requests), 50),
      );
      const batchRate = await repeat(runs, async () => {
        const items = Array.from({ length: 100 }, request);
        const start = process.hrtime.bigint();
        for (let i = 0; i < batches; i++) {
          const reply = await rig.rotor.client.request<unknown, SignBatchReply>(
            SUBJECTS.signer.signBatch,
            { items },
          );
          if (reply.results.length !== 100) throw new Error('short batch reply');
        }
        return (batches * 100 * 2) / (Number(process.hrtime.bigint() - start) / 1e9);
      });
      const batchRequests = await repeat(runs, async () => {
        const items = Array.from({ length: 100 }, request);
        const start = process.hrtime.bigint();
        for (let i = 0; i < batches; i++)
          await rig.rotor.client.request(SUBJECTS.signer.signBatch, { items });
        return (batches * 100) / (Number(process.hrtime.bigint() - start) / 1e9);
      });
      return {
        name: this.name,
        parameters: {
          payloadBytes: 1024,
          validKeys: 2,
          sequentialRequests: requests,
          batches,
          batchSize: 100,
          runs,
        },
        metrics: [
          {
            label: 'single sign, median latency',
            unit: 'ms',
            rotor: single,
            baseline: { label: 'raw NATS echo', value: echo },
            ratio: ratioOf(single, echo),
            target: '<= 1.3x echo',
            met: ratioOf(single, echo) <= 1.3,
          },
          {
            label: 'batch of 100, payloads signed',
            unit: 'payloads/s',
            rotor: batchRequests,
            target: '>= 50,000/s',
            met: batchRequests.median >= 50_000,
          },
          {
            label: 'batch of 100, HMAC signatures (2 keys each)',
            unit: 'signatures/s',
            rotor: batchRate,
            target: '(for reference)',
            met: true,
          },
        ],
        notes: [
          `one connection, sequential requests; ${summarize([single.median]).median.toFixed(3)} ms median single sign`,
        ],
      };
    } finally {
      await rig.close();
    }
  },
};
