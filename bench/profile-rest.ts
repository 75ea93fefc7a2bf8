/**
 * Where the all-in-one app's event loop goes under REST load: starts the app with
 * `lib/cpu-profile-on-signal.js` preloaded, registers endpoints, warms up, then profiles
 * exactly the loaded window (open-loop load from a process of its own, as the REST cases)
 * and prints the load's latencies, the loop's delay, and the profile read by
 * `lib/cpu-profile.ts`: self and inclusive time by function and by area, and the longest
 * stretches the loop was busy without a break. The .cpuprofile is kept for DevTools.
 *
 * Run: node -r ts-node/register/transpile-only -r tsconfig-paths/register bench/profile-rest.ts \
 *        [--rotate <req/s>] [--sign <req/s>] [--seconds <s>] [--out <dir>] [--node-arg <flag>]...
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { registerEndpoints, startAllInOne } from './lib/all-in-one-app';
import { summarizeProfile, type CpuProfile } from './lib/cpu-profile';
import type { PacedLoadInput, PacedResult } from './lib/paced-load';
import { cleanUpNow, inFreshProcess } from './lib/processes';
import { percentile } from './lib/stats';

const argument = (name: string, fallback: string): string => {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : fallback;
};

async function main(): Promise<void> {
  const rotateRate = Number(argument('rotate', '500'));
  const signRate = Number(argument('sign', '0'));
  const seconds = Number(argument('seconds', '10'));
  // Not under bench/results: a profile is tens of MB and belongs to no run's record.
  const out = resolve(argument('out', join(tmpdir(), 'rotor-profiles')));
  mkdirSync(out, { recursive: true });
  const app = await startAllInOne('profile', {
    env: { ROTOR_CPU_PROFILE_DIR: out },
    nodeArgs: [
      ...process.argv.filter((_, i) => process.argv[i - 1] === '--node-arg'),
      '-r',
      join(__dirname, 'lib', 'cpu-profile-on-signal.js'),
    ],
  });
  try {
    const endpoints = await registerEndpoints(app, 1000);
    const streams = (runSeconds: number): PacedLoadInput[] => [
      ...(rotateRate > 0
        ? [
            {
              url: app.base,
              rate: rotateRate,
              seconds: runSeconds,
              method: 'POST',
              headers: app.headers,
              body: JSON.stringify({ expire_current_in: 0, force: true }),
              paths: endpoints.map((id) => `/v1/webhooks/endpoints/${id}/secret/rotate`),
              offset: 0,
            },
          ]
        : []),
      ...(signRate > 0
        ? [
            {
              url: app.base,
              rate: signRate,
              seconds: runSeconds,
              method: 'POST',
              headers: app.headers,
              body: JSON.stringify({ payload: '{"type":"invoice.paid","data":{"id":"in_1"}}' }),
              paths: endpoints.map((id) => `/v1/webhooks/endpoints/${id}/signatures`),
              offset: 0,
            },
          ]
        : []),
    ];
    await inFreshProcess<PacedResult[]>('paced-mix', { streams: streams(3) }); // warm-up
    const profiled = app.child.waitForLine(/^bench: cpu_profile=/, 60_000);
    app.child.process.kill('SIGWINCH');
    const results = await inFreshProcess<PacedResult[]>('paced-mix', { streams: streams(seconds) });
    app.child.process.kill('SIGWINCH');
    const line = await profiled;
    for (const [i, result] of results.entries())
      console.log(
        `${streams(seconds)[i].paths[0].split('/').pop()} @${streams(seconds)[i].rate}/s: ` +
          `p50 ${percentile(result.fromDue, 50).toFixed(1)} ms, p99 ${percentile(result.fromDue, 99).toFixed(1)} ms, ` +
          `max ${result.fromDue.at(-1)?.toFixed(1)} ms, achieved ${result.achievedRate.toFixed(0)}/s, ` +
          `non-2xx ${result.non2xx}, errors ${result.errors}`,
      );
    console.log(line);
    const file = /cpu_profile=(\S+)/.exec(line)![1];
    const summary = summarizeProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, {
      top: 30,
      spans: 6,
    });
    console.log(JSON.stringify(summary, null, 1));
  } finally {
    await app.stop();
  }
}

process.once('exit', cleanUpNow);
main().then(
  () => process.exit(),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
