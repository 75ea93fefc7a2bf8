import { registerEndpoints, startAllInOne, type AllInOneApp } from '../lib/all-in-one-app';
import { searchCapacity, SUSTAINED, type CapacitySearch } from '../lib/capacity';
import type { PacedLoadInput, PacedResult } from '../lib/paced-load';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, inFreshProcess, ROOT, startTsProcess, type Child } from '../lib/processes';
import { reported, type BenchCase } from '../lib/result';
import { summarize } from '../lib/stats';

/** Each step sends this long first, uncounted: the generator's own start-up is not the server's. */
export const WARMUP_SECONDS = 1;

/** What a delivery worker sends: a small event, signed by the endpoint's keys. */
export const SIGN_BODY = JSON.stringify({
  payload: '{"type":"invoice.paid","data":{"id":"in_1","amount":4200,"currency":"eur"}}',
});

/**
 * REST sign throughput of the all-in-one app against the framework's floor: a bare NestJS
 * app on the same adapter (express) with one POST route that parses JSON and answers a
 * small JSON body (bench/lib/bare-nest-app.ts), each in its own process, both driven by the
 * same open-loop generator from a third process with the same body. Throughput is the
 * highest offered rate a server sustains (bench/lib/capacity.ts: every request 2xx, 97% of
 * the offered rate completed within the step, p99 from the due time <= 50 ms), found by a
 * growing ladder of rates and two bisections; the two searches alternate in every run, so
 * both see the same minutes of a shared machine.
 */
export const restSign: BenchCase = {
  name: 'rest-sign',
  description:
    'POST .../signatures throughput (open loop) vs a bare NestJS JSON route on the same adapter',
  async run({ quick }) {
    const runs = quick ? 1 : 3;
    const stepSeconds = quick ? 2 : 4;
    const endpointCount = quick ? 200 : 1000;
    const app = await startAllInOne('sign');
    const bare = await startBareNest();
    try {
      const endpoints = await registerEndpoints(app, endpointCount);
      const rotorPaths = endpoints.map((id) => `/v1/webhooks/endpoints/${id}/signatures`);
      const barePaths = endpoints.map((id) => `/echo/${id}`);
      let sent = 0;
      const load =
        (url: string, headers: Record<string, string>, paths: string[], seconds: number) =>
        (rate: number): Promise<PacedResult> => {
          const input: PacedLoadInput = {
            url,
            rate,
            seconds,
            warmupSeconds: WARMUP_SECONDS,
            method: 'POST',
            headers,
            body: SIGN_BODY,
            paths,
            offset: sent,
          };
          sent += rate * (seconds + WARMUP_SECONDS);
          return inFreshProcess<PacedResult>('paced-load', input);
        };
      const bareHeaders = { 'content-type': 'application/json' };
      // Warm-up: JIT, connections, the views.
      await load(app.base, app.headers, rotorPaths, 2)(300);
      await load(bare.base, bareHeaders, barePaths, 2)(300);
      const search = { factor: 1.5, refine: 2, ceiling: 40_000 };
      const rotor: CapacitySearch[] = [];
      const baseline: CapacitySearch[] = [];
      for (let run = 0; run < runs; run++) {
        baseline.push(
          await searchCapacity(load(bare.base, bareHeaders, barePaths, stepSeconds), {
            ...search,
            start: 1000,
          }),
        );
        rotor.push(
          await searchCapacity(load(app.base, app.headers, rotorPaths, stepSeconds), {
            ...search,
            start: 250,
          }),
        );
      }
      const rotorRate = summarize(rotor.map((s) => s.capacity));
      const bareRate = summarize(baseline.map((s) => s.capacity));
      const ratio = Number((rotorRate.median / bareRate.median).toFixed(3));
      const atCapacity = (searches: CapacitySearch[]) =>
        searches.map(
          (s) => s.steps.find((step) => step.rate === s.capacity && step.sustained)?.p99 ?? 0,
        );
      const generatorBound = [...rotor, ...baseline].some((s) => s.generatorBound);
      return {
        name: this.name,
        parameters: {
          runs,
          secondsPerStep: stepSeconds,
          uncountedSecondsBeforeEachStep: WARMUP_SECONDS,
          endpoints: endpointCount,
          request: `POST /v1/webhooks/endpoints/{id}/signatures ${SIGN_BODY}`,
          baseline: `POST /echo/{id} with the same body: bare NestJS ${nestVersion()}, express adapter, Nest's JSON body parser, answer {"ok":true,"length":n}`,
          app: 'all-in-one (npm start entry, ts-node) in its own process; sqlite WAL synchronous=FULL',
          generator:
            'open loop in its own process (bench/lib/paced-load.ts), keep-alive pool, latency from due time',
          sustained: `(a rate failing once is run again and fails only if it fails twice) every response 2xx, >= ${SUSTAINED.minAchievedShare * 100}% of the offered rate completed in the step, p99 from due <= ${SUSTAINED.maxP99Ms} ms`,
          search: `rates x${search.factor} from 250 (Rotor) / 1000 (bare), then ${search.refine} bisections`,
          steps: { rotor: rotor.map((s) => s.steps), bare: baseline.map((s) => s.steps) },
        },
        metrics: [
          {
            label: 'sign throughput, highest rate sustained',
            unit: 'req/s',
            rotor: rotorRate,
            baseline: { label: 'bare NestJS JSON route, same adapter', value: bareRate },
            ratio,
            target: '>= 0.5x bare NestJS',
            met: ratio >= 0.5,
          },
          reported('sign, p99 at that rate', 'ms', summarize(atCapacity(rotor))),
          reported('bare NestJS, p99 at its rate', 'ms', summarize(atCapacity(baseline))),
        ],
        notes: generatorBound
          ? [
              'the generator itself ran more than 5 ms late at a rate that was not sustained: ' +
                'that search measured the generator as much as the server',
            ]
          : [],
      };
    } finally {
      await Promise.all([app.stop(), bare.child.stop()]);
    }
  },
};

const nestVersion = (): string =>
  (
    JSON.parse(readFileSync(join(ROOT, 'node_modules/@nestjs/core/package.json'), 'utf8')) as {
      version: string;
    }
  ).version;

/** The bare NestJS app in its own process, listening. */
const startBareNest = async (): Promise<Pick<AllInOneApp, 'base' | 'child'>> => {
  const port = await freePort();
  const child: Child = startTsProcess('bare nest', 'bench/lib/bare-nest-app.ts', {
    PORT: String(port),
  });
  await child.waitForLine(/^bare nest listening on /, 60_000);
  return { base: `http://127.0.0.1:${port}`, child };
};
