import { Controller, type INestMicroservice } from '@nestjs/common';
import {
  MessagePattern,
  Payload,
  Transport,
  type MicroserviceOptions,
} from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { connectNats, drainNats, natsServerOptions } from '@rotor/messaging';
import { findNatsServer, startNatsServer } from '@rotor/testing';
import { randomBytes } from 'node:crypto';
import { ratioOf, reported, type BenchCase } from '../lib/result';
import { latencies, percentile, summarize } from '../lib/stats';

const SUBJECT = 'bench.rpc.echo';
const RAW_SUBJECT = 'bench.rpc.raw';
const CALLER = 'bench';

/** The same handler behind both transports: it answers what it was sent. */
@Controller()
class EchoController {
  @MessagePattern(SUBJECT)
  echo(@Payload() request: unknown) {
    return request;
  }
}

async function serve(options: MicroserviceOptions): Promise<INestMicroservice> {
  const moduleRef = await Test.createTestingModule({ controllers: [EchoController] }).compile();
  const app = moduleRef.createNestMicroservice<MicroserviceOptions>({ ...options, logger: false });
  await app.listen();
  return app;
}

/**
 * The per-message cost of the message path alone (issue 13 item 5), all in this process on
 * one private nats-server: a 1 KiB request answered by the same Nest handler through Rotor's
 * transport (bare JSON on `<subject>.<caller>`) and through Nest's own NATS transport (the
 * `{pattern, data, id}` envelope Rotor used before), against a raw nats.js responder that
 * parses the request and encodes its reply (the least the work needs). Sequential round
 * trips, the three alternating run by run.
 */
export const rpcPath: BenchCase = {
  name: 'rpc-path',
  description:
    "one Nest handler behind Rotor's transport and behind Nest's NATS transport vs raw nats.js",
  async run({ quick }) {
    const requests = quick ? 500 : 3000;
    const runs = 3;
    const binary = findNatsServer();
    if (!binary) throw new Error('nats-server is not on PATH');
    const nats = await startNatsServer(binary);
    const apps: INestMicroservice[] = [];
    const client = await connectNats({ url: nats.url, name: 'rotor-bench', caller: CALLER });
    const responder = await connectNats({ url: nats.url, name: 'rotor-bench-raw' });
    try {
      responder.subscribe(RAW_SUBJECT, {
        callback: (_error, msg) =>
          msg.respond(encoder.encode(JSON.stringify(JSON.parse(decoder.decode(msg.data))))),
      });
      apps.push(await serve(natsServerOptions({ url: nats.url, queue: 'rotor-bench' })));
      apps.push(
        await serve({ transport: Transport.NATS, options: { servers: nats.url, queue: 'nest' } }),
      );
      await responder.flush();

      const data = { payload: randomBytes(512).toString('hex') };
      const body = encoder.encode(JSON.stringify(data));
      let id = 0;
      const envelope = () =>
        encoder.encode(JSON.stringify({ pattern: SUBJECT, data, id: `b${++id}` }));
      const variants = {
        rotor: () => client.request(`${SUBJECT}.${CALLER}`, body, { timeout: 10_000 }),
        nest: () => client.request(SUBJECT, envelope(), { timeout: 10_000 }),
        raw: () => client.request(RAW_SUBJECT, body, { timeout: 10_000 }),
      };
      const medians = { rotor: [] as number[], nest: [] as number[], raw: [] as number[] };
      const p99s = { rotor: [] as number[], nest: [] as number[], raw: [] as number[] };
      for (let run = 0; run < runs + 1; run++)
        for (const name of ['rotor', 'nest', 'raw'] as const) {
          const samples = await latencies(variants[name], requests);
          if (run === 0) continue; // warm-up
          medians[name].push(percentile(samples, 50));
          p99s[name].push(percentile(samples, 99));
        }
      const [rotor, nest, raw] = [medians.rotor, medians.nest, medians.raw].map(summarize);
      const perMessage = (variant: number[]) =>
        summarize(variant.map((v, i) => Number(((v - medians.raw[i]) * 1000).toFixed(1))));
      return {
        name: this.name,
        parameters: {
          requestBytes: body.byteLength,
          sequentialRequests: requests,
          runs,
          warmUp: 'one unreported run of each before the measured ones',
          setting:
            'client, servers and the raw responder in the benchmark process; one nats-server',
        },
        metrics: [
          {
            label: "Rotor's transport, median latency",
            unit: 'ms',
            rotor,
            baseline: { label: 'raw nats.js parse + encode', value: raw },
            ratio: ratioOf(rotor, raw),
            target: '(reported)',
          },
          {
            label: "Nest's NATS transport (before), median latency",
            unit: 'ms',
            rotor: nest,
            baseline: { label: 'raw nats.js parse + encode', value: raw },
            ratio: ratioOf(nest, raw),
            target: '(reported)',
          },
          reported(
            "Rotor's transport, cost per message above raw",
            'us',
            perMessage(medians.rotor),
          ),
          reported(
            "Nest's NATS transport, cost per message above raw",
            'us',
            perMessage(medians.nest),
          ),
          reported("Rotor's transport, p99 latency", 'ms', summarize(p99s.rotor)),
        ],
      };
    } finally {
      for (const app of apps) await app.close();
      await drainNats(client);
      await drainNats(responder);
      await nats.stop();
    }
  },
};

const encoder = new TextEncoder();
const decoder = new TextDecoder();
