import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

/**
 * Every process and temporary directory a benchmark starts is registered here, so that an
 * error, a Ctrl-C or a forgotten `stop()` never leaves a service, a nats-server or a data
 * file behind: `cleanUpNow()` runs on exit whatever happened.
 */
export const ROOT = resolve(__dirname, '..', '..');

/** How `npm start` and `npm run start:<service>` run TypeScript (package.json). */
export const TS_NODE_ARGS = [
  '-r',
  'ts-node/register/transpile-only',
  '-r',
  'tsconfig-paths/register',
];

const children = new Set<ChildProcess>();
const dirs = new Set<string>();

export const tempDir = (label: string): string => {
  const dir = mkdtempSync(join(tmpdir(), `rotor-bench-${label}-`));
  dirs.add(dir);
  return dir;
};

export const removeDir = (dir: string): void => {
  rmSync(dir, { recursive: true, force: true });
  dirs.delete(dir);
};

/** Synchronous, so it also works from an 'exit' handler. */
export const cleanUpNow = (): void => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  children.clear();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs.clear();
};

export const runningChildren = (): number => children.size;

export interface Child {
  readonly process: ChildProcess;
  readonly pid: number;
  /** The last lines of stdout and stderr, for error messages. */
  output(): string;
  /** Resolves with the first output line that matches. */
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<string>;
  /** SIGTERM, SIGKILL after `graceMs`; resolves once the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

const track = (child: ChildProcess, what: string): Child => {
  children.add(child);
  let tail: string[] = [];
  const listeners = new Set<(line: string) => void>();
  const onLine = (line: string): void => {
    tail.push(line);
    if (tail.length > 40) tail = tail.slice(-40);
    for (const listener of listeners) listener(line);
  };
  if (child.stdout)
    createInterface({ input: child.stdout, crlfDelay: Infinity }).on('line', onLine);
  if (child.stderr)
    createInterface({ input: child.stderr, crlfDelay: Infinity }).on('line', onLine);
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  void exited.then(() => children.delete(child));
  const alive = () => child.exitCode === null && child.signalCode === null;
  return {
    process: child,
    pid: child.pid ?? -1,
    output: () => tail.join('\n'),
    waitForLine: (pattern, timeoutMs) =>
      new Promise<string>((done, fail) => {
        const found = tail.find((line) => pattern.test(line));
        if (found !== undefined) return done(found);
        const finish = (error?: Error, line?: string) => {
          clearTimeout(timer);
          listeners.delete(listener);
          child.off('exit', onExit);
          if (error) fail(error);
          else done(line!);
        };
        const listener = (line: string) => {
          if (pattern.test(line)) finish(undefined, line);
        };
        const onExit = () =>
          finish(new Error(`${what} exited before printing ${pattern}:\n${tail.join('\n')}`));
        const timer = setTimeout(
          () =>
            finish(new Error(`${what}: no ${pattern} within ${timeoutMs} ms:\n${tail.join('\n')}`)),
          timeoutMs,
        );
        listeners.add(listener);
        child.once('exit', onExit);
      }),
    stop: async (graceMs = 5_000) => {
      if (!alive()) return exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => alive() && child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
};

/** A TypeScript entry point of the repository in its own Node process, as `npm start` runs it. */
export const startTsProcess = (
  what: string,
  entry: string,
  env: Record<string, string>,
  nodeArgs: readonly string[] = [],
): Child =>
  track(
    spawn(process.execPath, [...profiling(), ...nodeArgs, ...TS_NODE_ARGS, join(ROOT, entry)], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
    what,
  );

/**
 * BENCH_CPU_PROFILE=<dir>: every service process a benchmark starts writes a V8 CPU profile
 * there when it stops (open it in Chrome DevTools): how the README's reasons for a missed
 * target were found.
 */
const profiling = (): string[] => {
  const dir = process.env.BENCH_CPU_PROFILE;
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${resolve(dir)}`] : [];
};

/** Any executable (nats-server, a compiled CLI), with `env` added to this process's. */
export const startProcess = (
  what: string,
  binary: string,
  args: readonly string[],
  env: Record<string, string> = {},
): Child =>
  track(
    spawn(binary, args, {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
    what,
  );

/**
 * Runs `bench/lib/worker.ts` in a fresh Node process for one measurement and returns what it
 * sends back: memory figures are only honest in a process that did nothing else before.
 */
export const inFreshProcess = <T>(
  task: string,
  input: unknown,
  nodeArgs: readonly string[] = [],
): Promise<T> =>
  new Promise<T>((done, fail) => {
    // The input goes over IPC, not argv: a list of request paths can pass the kernel's
    // limit on one argument (E2BIG at 128 KiB).
    const child = fork(join(__dirname, 'worker.ts'), [task], {
      cwd: ROOT,
      execArgv: [...nodeArgs, ...TS_NODE_ARGS],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    child.send({ input });
    const tracked = track(child, `worker ${task}`);
    let result: { ok: true; value: T } | { ok: false; error: string } | undefined;
    child.on('message', (message) => (result = message as typeof result));
    child.once('close', (code, signal) => {
      if (result?.ok) done(result.value);
      else
        fail(
          new Error(
            `worker ${task} failed (${signal ?? code}): ${result && !result.ok ? result.error : ''}\n${tracked.output()}`,
          ),
        );
    });
  });

export const freePort = (): Promise<number> =>
  new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? done(address.port) : fail(new Error('no port')),
      );
    });
  });
