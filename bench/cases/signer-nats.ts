import { randomBytes } from 'node:crypto';
import { SUBJECTS, type SignBatchReply, type SignReply, type SignRequest } from '@rotor/contracts';
import { verifySignature } from '@rotor/crypto';
import { Distributed } from '../lib/distributed';
import { ratioOf, reported, type BenchCase } from '../lib/result';
import { latencies, percentile, summarize } from '../lib/stats';

const BATCH = 100;

/**
 * The signer service over NATS (its own process, key ring from the projector's bucket)
 * against a plain nats.js echo of the same bytes on the same server: a single sign request
 * (sequential round trips), and the batch subject with 100 payloads.
 */
export const signerNats: BenchCase = {
  name: 'signer-nats',
  description: 'sign over NATS (one request; batches of 100) vs a raw nats.js echo',
  async run({ quick }) {
    const requests = quick ? 300 : 3000;
    const batches = quick ? 40 : 300;
    const inFlight = 4;
    const runs = 3;
    const rotor = await Distributed.start(['command', 'projector', 'signer']);
    try {
      const registered = await rotor.register();
      const endpointId = registered.endpoint.id;
      const rotated = await rotor.rotate(endpointId, 3600);
      const payload = randomBytes(512).toString('hex'); // 1 KiB
      let msg = 0;
      const item = (): SignRequest => ({
        endpointId,
        msgId: `msg_${process.pid}_${++msg}`,
        timestamp: Math.floor(Date.now() / 1000),
        payload,
      });
      // Ready when the signer holds both keys and signs with them (the projector's bucket).
      const deadline = Date.now() + 30_000;
      for (;;) {
        const request = item();
        const reply = await rotor.client
          .request<SignReply>(SUBJECTS.signer.sign, request)
          .catch(() => undefined);
        // A copy: verifySignature takes any header record, which an interface is not.
        const headers = reply && { ...reply.headers };
        const ok = (secret: string) =>
          headers !== undefined &&
          verifySignature({ headers, payload, secrets: [secret], now: request.timestamp }).ok;
        if (ok(rotated.secret!) && ok(registered.secret!)) break;
        if (Date.now() > deadline) throw new Error('the signer never held both keys');
        await new Promise((done) => setTimeout(done, 20));
      }

      // Single requests: Rotor and the echo alternate run by run, same client, same bytes.
      const client = rotor.client;
      const singleP50: number[] = [];
      const singleP99: number[] = [];
      const echoP50: number[] = [];
      const echoP99: number[] = [];
      for (let run = 0; run < runs + 1; run++) {
        const sign = await latencies(() => client.request(SUBJECTS.signer.sign, item()), requests);
        const echo = await latencies(() => client.echo(client.body(item())), requests);
        if (run === 0) continue; // warm-up: JIT, connections, the signer's opened keys
        singleP50.push(percentile(sign, 50));
        singleP99.push(percentile(sign, 99));
        echoP50.push(percentile(echo, 50));
        echoP99.push(percentile(echo, 99));
      }

      // Batches: `inFlight` requests outstanding, so the signer is never idle waiting for
      // the client; signatures counted from the replies.
      const batchRates: number[] = [];
      const signatureRates: number[] = [];
      for (let run = 0; run < runs + 1; run++) {
        const count = run === 0 ? Math.ceil(batches / 4) : batches;
        const bodies = Array.from({ length: count }, () =>
          client.body({
            items: Array.from({ length: BATCH }, item),
          }),
        );
        let next = 0;
        let signed = 0;
        let hmacs = 0;
        const start = process.hrtime.bigint();
        await Promise.all(
          Array.from({ length: inFlight }, async () => {
            while (next < count) {
              const reply = await client.send<SignBatchReply>(
                SUBJECTS.signer.signBatch,
                bodies[next++],
              );
              for (const result of reply.results) {
                if (!result.headers)
                  throw new Error(`batch item failed: ${JSON.stringify(result)}`);
                signed += 1;
                hmacs += result.headers['webhook-signature'].split(' ').length;
              }
            }
          }),
        );
        const seconds = Number(process.hrtime.bigint() - start) / 1e9;
        if (run === 0) continue;
        if (signed !== count * BATCH) throw new Error(`${signed} of ${count * BATCH} signed`);
        batchRates.push(signed / seconds);
        signatureRates.push(hmacs / seconds);
      }

      const single = summarize(singleP50);
      const echo = summarize(echoP50);
      const batch = summarize(batchRates);
      return {
        name: this.name,
        parameters: {
          payloadBytes: 1024,
          validKeys: 2,
          sequentialRequests: requests,
          batches,
          batchSize: BATCH,
          batchesInFlight: inFlight,
          runs,
          warmUp: 'one unreported run of each before the measured ones',
          services: 'command, projector, signer: one process each (ts-node), one nats-server',
          client:
            'one nats.js connection in the benchmark process; Rotor requests as bare JSON (no envelope), the echo carries the same bytes',
        },
        metrics: [
          {
            label: 'single sign, median latency',
            unit: 'ms',
            rotor: single,
            baseline: { label: 'raw nats.js echo', value: echo },
            ratio: ratioOf(single, echo),
            target: '<= 1.3x echo',
            met: ratioOf(single, echo) <= 1.3,
          },
          {
            label: 'single sign, p99 latency',
            unit: 'ms',
            rotor: summarize(singleP99),
            baseline: { label: 'raw nats.js echo', value: summarize(echoP99) },
            ratio: ratioOf(summarize(singleP99), summarize(echoP99)),
            target: '(reported)',
          },
          {
            label: `batches of ${BATCH}, payloads signed`,
            unit: 'signatures/s',
            rotor: batch,
            target: '>= 50,000/s',
            met: batch.median >= 50_000,
          },
          reported(
            `batches of ${BATCH}, HMACs computed (2 keys each)`,
            'HMACs/s',
            summarize(signatureRates),
          ),
        ],
        notes: [
          'A "signature" is one signed payload (one webhook-signature header, holding a v1 entry per valid key).',
        ],
      };
    } finally {
      await rotor.stop();
    }
  },
};
