import { loopDelayP99, registerEndpoints, startAllInOne } from '../lib/all-in-one-app';
import type { PacedLoadInput, PacedResult } from '../lib/paced-load';
import { inFreshProcess } from '../lib/processes';
import { noFailures, reported, type BenchCase } from '../lib/result';
import { percentile, summarize } from '../lib/stats';
import { SIGN_BODY, WARMUP_SECONDS } from './rest-sign';

const SIGN_RATE = 2000;
const ROTATE_RATE = 200;

/**
 * Signing while rotating, all-in-one: sign at a steady 2,000 requests/s and rotate (force,
 * expire_current_in 0) at 200 requests/s at the same time, two open-loop streams from one
 * generator process of their own, latency from each request's due time, round-robin over
 * fresh endpoints (the signs and the rotations touch the same endpoints). The baseline, in
 * the same app and the same run: signing alone at 2,000/s, so what the rotations add shows.
 */
export const restSignRotate: BenchCase = {
  name: 'rest-sign-rotate',
  description: `POST .../signatures at ${SIGN_RATE}/s while rotating at ${ROTATE_RATE}/s (all-in-one, open loop)`,
  async run({ quick }) {
    const seconds = quick ? 3 : 10;
    const runs = quick ? 1 : 3;
    const endpointCount = quick ? 300 : 1000;
    const app = await startAllInOne('sign-rotate');
    try {
      const endpoints = await registerEndpoints(app, endpointCount);
      let offset = 0;
      const stream = (suffix: string, rate: number, body: string, runSeconds: number) => {
        const input: PacedLoadInput = {
          url: app.base,
          rate,
          seconds: runSeconds,
          warmupSeconds: WARMUP_SECONDS,
          method: 'POST',
          headers: app.headers,
          body,
          paths: endpoints.map((id) => `/v1/webhooks/endpoints/${id}/${suffix}`),
          offset,
        };
        return input;
      };
      const rotateBody = JSON.stringify({ expire_current_in: 0, force: true });
      const mixed = async (runSeconds: number, withRotations: boolean) => {
        const streams = [
          stream('signatures', SIGN_RATE, SIGN_BODY, runSeconds),
          ...(withRotations ? [stream('secret/rotate', ROTATE_RATE, rotateBody, runSeconds)] : []),
        ];
        offset += SIGN_RATE * (runSeconds + WARMUP_SECONDS);
        const [sign, rotate] = await inFreshProcess<PacedResult[]>('paced-mix', { streams });
        return { sign, rotate };
      };
      await mixed(2, true); // warm-up: JIT, connections, views
      const figures = {
        signP50: [] as number[],
        signP99: [] as number[],
        signMax: [] as number[],
        rotateP99: [] as number[],
        aloneP99: [] as number[],
        failed: [] as number[],
        signAchieved: [] as number[],
        /** What each mixed run's failures were: status codes, and errors (timeouts, resets). */
        failedAs: [] as string[],
        loopP99: [] as number[],
        sendLag: [] as number[],
      };
      for (let run = 0; run < runs; run++) {
        const alone = await mixed(seconds, false);
        figures.aloneP99.push(percentile(alone.sign.fromDue, 99));
        await loopDelayP99(app.base); // resets the app's histogram
        const both = await mixed(seconds, true);
        figures.loopP99.push(await loopDelayP99(app.base));
        figures.signP50.push(percentile(both.sign.fromDue, 50));
        figures.signP99.push(percentile(both.sign.fromDue, 99));
        figures.signMax.push(both.sign.fromDue[both.sign.fromDue.length - 1]);
        figures.rotateP99.push(percentile(both.rotate.fromDue, 99));
        figures.failed.push(
          both.sign.non2xx + both.sign.errors + both.rotate.non2xx + both.rotate.errors,
        );
        figures.signAchieved.push(both.sign.achievedRate);
        figures.failedAs.push(
          `run ${run + 1}: sign ${failuresOf(both.sign)}; rotate ${failuresOf(both.rotate)}`,
        );
        figures.sendLag.push(Math.max(both.sign.sendLagP99, both.rotate.sendLagP99));
      }
      const signTail = summarize(figures.signP99);
      const alone = summarize(figures.aloneP99);
      const failures = summarize(figures.failed);
      return {
        name: this.name,
        parameters: {
          signRate: SIGN_RATE,
          rotateRate: ROTATE_RATE,
          secondsPerRun: seconds,
          uncountedSecondsBeforeEachRun: WARMUP_SECONDS,
          runs,
          endpoints: endpointCount,
          sign: `POST /v1/webhooks/endpoints/{id}/signatures ${SIGN_BODY}`,
          rotate: `POST /v1/webhooks/endpoints/{id}/secret/rotate ${rotateBody}`,
          app: 'all-in-one (npm start entry, ts-node) in its own process; sqlite WAL synchronous=FULL',
          generator:
            'two open-loop streams in one process of their own (bench/lib/paced-load.ts), latency from due time',
          baseline: `the same app signing alone at ${SIGN_RATE}/s, before each mixed run`,
        },
        metrics: [
          {
            label: `sign at ${SIGN_RATE}/s while rotating at ${ROTATE_RATE}/s, p99`,
            unit: 'ms',
            rotor: signTail,
            baseline: { label: `signing alone at ${SIGN_RATE}/s`, value: alone },
            ratio: Number((signTail.median / alone.median).toFixed(3)),
            target: '<= 10 ms',
            met: signTail.median <= 10,
          },
          reported(`rotate at ${ROTATE_RATE}/s meanwhile, p99`, 'ms', summarize(figures.rotateP99)),
          reported('sign meanwhile, p50', 'ms', summarize(figures.signP50)),
          reported('sign meanwhile, max', 'ms', summarize(figures.signMax)),
          reported('sign meanwhile, achieved rate', 'req/s', summarize(figures.signAchieved)),
          reported('event-loop delay p99 meanwhile', 'ms', summarize(figures.loopP99)),
          noFailures('non-2xx + errors per mixed run', failures),
          reported('generator lateness p99 (written - due)', 'ms', summarize(figures.sendLag)),
        ],
        notes: figures.failedAs,
      };
    } finally {
      await app.stop();
    }
  },
};

/** A run's failed requests by kind: `503 x3, errors x2`, or `none`. */
const failuresOf = (result: PacedResult): string => {
  const kinds = Object.entries(result.statusCounts)
    .filter(([status]) => !status.startsWith('2'))
    .map(([status, count]) => `${status} x${count}`);
  if (result.errors > 0) kinds.push(`errors (no response in 10 s, or reset) x${result.errors}`);
  return kinds.length === 0 ? 'none' : kinds.join(', ');
};
