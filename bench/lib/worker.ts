/**
 * Entry point of `inFreshProcess`: runs one measurement task in a process that did nothing
 * else before, and sends its result to the parent over IPC. Tasks live beside their case.
 */
const TASKS: Record<string, () => Promise<(input: never) => unknown>> = {
  'replay-rebuild': async () => (await import('../cases/replay')).rebuildTask,
  'replay-verify': async () => (await import('../cases/replay')).verifyTask,
  'keyring-load': async () => (await import('../cases/keyring-scale')).loadTask,
  'paced-load': async () => (await import('./paced-load')).pacedLoadTask,
  'paced-mix': async () => (await import('./paced-load')).pacedMixTask,
};

async function main(): Promise<void> {
  const [task] = process.argv.slice(2);
  const load = TASKS[task];
  if (!load) throw new Error(`unknown task ${task}`);
  const input = await new Promise<unknown>((done) =>
    process.once('message', (message) => done((message as { input: unknown }).input)),
  );
  const run = await load();
  const value = await run(input as never);
  await reply({ ok: true, value });
}

const reply = (message: unknown): Promise<void> =>
  new Promise((done) => {
    if (!process.send) return done();
    process.send(message, () => done());
  });

main().then(
  () => process.disconnect?.(),
  async (error: unknown) => {
    process.exitCode = 1;
    await reply({ ok: false, error: error instanceof Error ? error.stack : String(error) });
    process.disconnect?.();
  },
);
