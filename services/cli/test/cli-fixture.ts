import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { DataKeyVault, parseKekRing, type KekRing } from '@rotor/crypto';
import { SqliteEventStore, type EventStore } from '@rotor/event-store';
import { EndpointCommandsService } from '../../command/src/endpoint-commands.service';

/**
 * The CLI run for real, as an operator runs it: a child process from the repository root,
 * configured by environment only, against a temporary sqlite file that was seeded through
 * the command service's own code path (load, decide, seal, append with expected revision).
 */
export const REPO_ROOT = resolve(__dirname, '../../..');
const MAIN = 'services/cli/src/main.ts';
const NODE_ARGS = ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register'];

export interface CliRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Rotor's own variables are never inherited: each test says exactly what it configures. */
const baseEnv = (): NodeJS.ProcessEnv =>
  Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) =>
        !/^(EVENT_STORE|SQLITE_PATH|ESDB_CONNECTION_STRING|ROTOR_|NATS_URL|LOG_LEVEL)/.test(name),
    ),
  );

export function runCli(
  args: readonly string[],
  env: Record<string, string>,
  options: { preload?: string } = {},
): Promise<CliRun> {
  const nodeArgs = options.preload ? [...NODE_ARGS, '-r', options.preload] : NODE_ARGS;
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, MAIN, ...args], {
      cwd: REPO_ROOT,
      env: { ...baseEnv(), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code, signal) => resolvePromise({ code, signal, stdout, stderr }));
  });
}

/** `{"primary": ..., "keys": {...}}` with fresh random KEKs, and an audit key if asked. */
export const kekRingText = (
  primary: string,
  ids: readonly string[] = [primary],
  options: { audit?: boolean } = {},
): string =>
  JSON.stringify({
    primary,
    keys: Object.fromEntries(ids.map((id) => [id, randomBytes(32).toString('base64')])),
    ...(options.audit ? { audit: { privateKey: randomBytes(32).toString('base64') } } : {}),
  });

/** The same KEKs as `text`, with another primary or fewer keys. */
export const withRing = (
  text: string,
  change: { primary?: string; add?: string[]; remove?: string[] },
): string => {
  const ring = JSON.parse(text) as {
    primary: string;
    keys: Record<string, string>;
    audit?: unknown;
  };
  const keys = { ...ring.keys };
  for (const id of change.add ?? []) keys[id] = randomBytes(32).toString('base64');
  for (const id of change.remove ?? []) delete keys[id];
  return JSON.stringify({ ...ring, primary: change.primary ?? ring.primary, keys });
};

export interface TempStore {
  readonly dir: string;
  readonly path: string;
  open(): SqliteEventStore;
  /** A copy of the (closed) file, to tamper with without touching the original. */
  copy(name: string): string;
  /** Raw SQL on a copy or the file itself, as an attacker with file access would. */
  sql(path: string, work: (db: Database.Database) => void): void;
  remove(): void;
}

export const tempStore = (): TempStore => {
  const dir = mkdtempSync(join(tmpdir(), 'rotor-cli-'));
  const path = join(dir, 'rotor.sqlite');
  return {
    dir,
    path,
    open: () => new SqliteEventStore(path),
    copy: (name) => {
      const target = join(dir, `${name}.sqlite`);
      copyFileSync(path, target);
      return target;
    },
    sql: (file, work) => {
      const db = new Database(file);
      try {
        work(db);
      } finally {
        db.close();
      }
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
};

/** A clock that moves only when told: events get distinct, known times. */
export const steppingClock = (start: string, stepMs = 60_000) => {
  let now = Date.parse(start);
  const clock = () => new Date(now);
  clock.advance = (ms = stepMs) => {
    now += ms;
  };
  return clock;
};

/** The command service exactly as the command process runs it, on a given store and ring. */
export const commandService = (
  store: EventStore,
  ring: KekRing | string,
  clock: () => Date = () => new Date(),
): { service: EndpointCommandsService; vault: DataKeyVault } => {
  const kekRing = typeof ring === 'string' ? parseKekRing(ring) : ring;
  const vault = new DataKeyVault(store, kekRing, { actor: 'service:command', clock });
  return { service: new EndpointCommandsService(store, vault, clock, kekRing), vault };
};

export const meta = (actor = 'ak_0123456789abcdef') => ({ actor, requestId: randomUUID() });
