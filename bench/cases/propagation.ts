import { SUBJECTS, type SignReply } from '@rotor/contracts';
import { verifySignature } from '@rotor/crypto';
import { Distributed } from '../lib/distributed';
import { reported, type BenchCase } from '../lib/result';
import { percentile, summarize } from '../lib/stats';

/**
 * Distributed mode, each service its own process: from the moment the rotate reply is in
 * the client's hands to the first signature the signer makes with the new key (command ->
 * sqlite -> projector, which polls the file as in production since the append happened in
 * another process -> JetStream KV -> the signer's watch). The signer is polled flat out,
 * one sign request after another, and each signature is checked against the new secret.
 */
export const propagation: BenchCase = {
  name: 'propagation',
  description: 'rotate reply -> first signature with the new key (services in separate processes)',
  async run({ quick }) {
    const rotations = quick ? 40 : 200;
    const runs = 3;
    const rotor = await Distributed.start(['command', 'projector', 'signer']);
    try {
      const { endpoint } = await rotor.register();
      const payload = '{"type":"invoice.paid","data":{"id":"in_1"}}';
      let msg = 0;
      const signedWith = async (secret: string): Promise<boolean> => {
        const timestamp = Math.floor(Date.now() / 1000);
        const reply = await rotor.client
          .request<SignReply>(SUBJECTS.signer.sign, {
            endpointId: endpoint.id,
            msgId: `msg_${++msg}`,
            timestamp,
            payload,
          })
          .catch(() => undefined); // not known to the signer yet
        if (!reply) return false;
        // A copy: verifySignature takes any header record, which an interface is not.
        const headers = { ...reply.headers };
        return verifySignature({ headers, payload, secrets: [secret], now: timestamp }).ok;
      };
      const lagOf = async (): Promise<{ ms: number; polls: number }> => {
        const { secret } = await rotor.rotate(endpoint.id, 0);
        const start = process.hrtime.bigint();
        let polls = 0;
        for (;;) {
          polls += 1;
          if (await signedWith(secret!))
            return { ms: Number(process.hrtime.bigint() - start) / 1e6, polls };
          if (Number(process.hrtime.bigint() - start) > 10e9)
            throw new Error('the new key never reached the signer');
        }
      };
      for (let i = 0; i < 5; i++) await lagOf(); // warm-up
      const p50: number[] = [];
      const p99: number[] = [];
      const max: number[] = [];
      const polls: number[] = [];
      for (let run = 0; run < runs; run++) {
        const lags: number[] = [];
        for (let i = 0; i < rotations; i++) {
          const lag = await lagOf();
          lags.push(lag.ms);
          polls.push(lag.polls);
        }
        lags.sort((a, b) => a - b);
        p50.push(percentile(lags, 50));
        p99.push(percentile(lags, 99));
        max.push(lags[lags.length - 1]);
      }
      const tail = summarize(p99);
      return {
        name: this.name,
        parameters: {
          rotationsPerRun: rotations,
          runs,
          services: 'command, projector, signer: one process each (ts-node), one nats-server',
          store: 'sqlite (WAL, synchronous=FULL); projector poll interval 25 ms (store default)',
          probe: 'sequential sign requests, each verified against the new secret',
          meanPollsPerRotation: Number(
            (polls.reduce((a, b) => a + b, 0) / polls.length).toFixed(1),
          ),
        },
        metrics: [
          {
            label: 'rotate reply -> new key signs, p99',
            unit: 'ms',
            rotor: tail,
            target: '<= 50 ms',
            met: tail.median <= 50,
          },
          reported('rotate reply -> new key signs, p50', 'ms', summarize(p50)),
          reported('rotate reply -> new key signs, max', 'ms', summarize(max)),
        ],
      };
    } finally {
      await rotor.stop();
    }
  },
};
