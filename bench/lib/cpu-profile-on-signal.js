// Preloaded (`node -r`) into a process a benchmark wants to profile under load, and only
// under load: the first SIGWINCH starts V8's sampling profiler (and resets an event-loop
// delay histogram), the second writes the profile to ROTOR_CPU_PROFILE_DIR and prints
// `bench: cpu_profile=<file> loop_p99_ms=<n> loop_max_ms=<n>` on stderr. `--cpu-prof` cannot
// do this: it covers start-up too and writes only on a clean exit, which a process that
// re-raises SIGTERM after its shutdown hooks (Nest) never makes. SIGWINCH because Nest's
// shutdown hooks take SIGUSR2 and the inspector SIGUSR1, and its default is to do nothing.
const { Session } = require('node:inspector');
const { monitorEventLoopDelay } = require('node:perf_hooks');
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');

const dir = process.env.ROTOR_CPU_PROFILE_DIR || process.cwd();
// 250 us: fine enough to attribute a 1 ms request, coarse enough not to load 2 cores.
const intervalUs = Number(process.env.ROTOR_CPU_PROFILE_INTERVAL_US || 250);
const session = new Session();
session.connect();
let profiling = false;
let taken = 0;
const delay = monitorEventLoopDelay({ resolution: 1 });

const post = (method, params) =>
  new Promise((done, fail) =>
    session.post(method, params, (error, result) => (error ? fail(error) : done(result))),
  );

const start = async () => {
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: intervalUs });
  await post('Profiler.start');
  delay.reset();
  delay.enable();
  profiling = true;
};

const stop = async () => {
  const { profile } = await post('Profiler.stop');
  delay.disable();
  profiling = false;
  const file = join(dir, `cpu-${process.pid}-${++taken}.cpuprofile`);
  writeFileSync(file, JSON.stringify(profile));
  const ms = (ns) => (ns / 1e6).toFixed(1);
  process.stderr.write(
    `bench: cpu_profile=${file} loop_p99_ms=${ms(delay.percentile(99))} loop_max_ms=${ms(delay.max)}\n`,
  );
};

process.on('SIGWINCH', () => {
  (profiling ? stop() : start()).catch((error) =>
    process.stderr.write(`bench: cpu profile failed: ${error}\n`),
  );
});
