import { randomBytes } from 'node:crypto';
import { verifySignature } from '@rotor/crypto';
import { NatsRig } from '../lib/nats-rig';
import type { BenchCase } from '../lib/result';
import { percentile, repeat } from '../lib/stats';

/**
 * Distributed mode: from the rotate reply to the first signature the signer makes with the
 * new key (command -> store -> projector -> KV -> signer), polling the signer flat out.
 */
export const propagation: BenchCase = {
  name: 'propagation',
  description:
    'from the rotate reply to the first signature with the new key (separate services over NATS)',
  async run({ quick }) {
    const rig = await NatsRig.start('command', 'projector', 'signer');
    try {
      const rotations = quick ? 30 : 150;
      const runs = 3;
      const { endpoint } = await rig.register();
      const payload = '{"type":"invoice.paid"}';
      const signsWith = async (secret: string) => {
        const timestamp = Math.floor(Date.now() / 1000);
        const reply = await rig
          .sign({
            endpointId: endpoint.id,
            msgId: `msg_${randomBytes(6).toString('hex')}`,
            timestamp,
            payload,
          })
          .catch(() => undefined);
        if (!reply) return false;
        const headers = {
          'webhook-id': reply.headers.webhookId,
          'webhook-timestamp': reply.headers.webhookTimestamp,
          'webhook-signature': reply.headers.webhookSignature,
        };
        return verifySignature({ headers, payload, secrets: [secret], now: timestamp }).ok;
      };
      const samples: number[][] = [];
      const p99 = await repeat(runs, async () => {
        const lags: number[] = [];
        for (let i = 0; i < rotations; i++) {
          const { secret } = await rig.rotate(endpoint.id, 0);
          const start = process.hrtime.bigint();
          while (!(await signsWith(secret))) {
            if (Number(process.hrtime.bigint() - start) > 10e9)
              throw new Error('the new key never reached the signer');
          }
          lags.push(Number(process.hrtime.bigint() - start) / 1e6);
        }
        lags.sort((a, b) => a - b);
        samples.push(lags);
        return percentile(lags, 99);
      });
      const p50 = await repeat(1, () =>
        percentile(
          samples.flat().sort((a, b) => a - b),
          50,
        ),
      );
      return {
        name: this.name,
        parameters: {
          rotations,
          runs,
          services: 'command, projector, signer as separate apps on one nats-server',
        },
        metrics: [
          {
            label: 'rotate reply -> new key signs, p99',
            unit: 'ms',
            rotor: p99,
            target: '<= 50 ms',
            met: p99.median <= 50,
          },
          {
            label: 'rotate reply -> new key signs, p50 (all runs)',
            unit: 'ms',
            rotor: p50,
            target: '(reported)',
            met: true,
          },
        ],
      };
    } finally {
      await rig.close();
    }
  },
};
