import { AsyncLocalStorage } from 'node:async_hooks';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { generateSecret, newEndpointId, newKeyId, sealSecret } from '@rotor/crypto';
import {
  decide,
  endpointStreamName,
  evolve,
  initialState,
  isDomainError,
  type EndpointCommand,
  type EndpointEvent,
  type EndpointState,
} from '@rotor/domain';

/**
 * The peer of `rotate-peer` (issue 13): Rotor's decider on emmett's `CommandHandler` with
 * emmett-sqlite. Its packages live in this folder's own package.json, installed on first use
 * (sqlite3 builds from source), so the root `npm ci` and CI never need them; the slice of
 * emmett's API used here is typed below, so the repository compiles without them.
 */
interface SqliteConnection {
  close(): void;
  command(sql: string, values?: unknown[]): Promise<unknown>;
  querySingle<T>(sql: string, values?: unknown[]): Promise<T | null>;
  withTransaction<T>(fn: () => Promise<T>): Promise<T>;
}

interface EmmettSqlite {
  sqliteConnection(options: { fileName: string }): SqliteConnection;
  getSQLiteEventStore(options: {
    fileName: string;
    connectionOptions: { singleton: true; connection: SqliteConnection };
  }): unknown;
}

type Handle = (
  store: unknown,
  id: string,
  handle: (state: EndpointState) => EndpointEvent[],
) => Promise<unknown>;

interface EmmettCore {
  CommandHandler(options: {
    evolve: (state: EndpointState, event: EndpointEvent) => EndpointState;
    initialState: () => EndpointState;
  }): Handle;
}

export interface Emmett {
  readonly core: EmmettCore;
  readonly sqlite: EmmettSqlite;
}

const peerRequire = createRequire(join(__dirname, 'package.json'));
const load = (): Emmett => ({
  core: peerRequire('@event-driven-io/emmett') as EmmettCore,
  sqlite: peerRequire('@event-driven-io/emmett-sqlite') as EmmettSqlite,
});

/** Emmett, installed first if it is not yet; or why it cannot be, said on stderr. */
export const loadEmmett = (): Emmett | { readonly error: string } => {
  try {
    return load();
  } catch {
    // not installed yet: first use
  }
  const where = relative(process.cwd(), __dirname) || '.';
  console.error(
    `bench: installing the emmett peer: npm install --prefix ${where} (sqlite3 builds from source)`,
  );
  const npm = spawnSync('npm', ['install', '--prefix', __dirname, '--no-audit', '--no-fund'], {
    stdio: ['ignore', 2, 2],
  });
  try {
    return load();
  } catch (error) {
    const why =
      `npm install ${npm.error ? `failed: ${npm.error.message}` : `exited with ${npm.status}`}; ` +
      (error instanceof Error ? error.message.split('\n')[0] : String(error));
    console.error(
      `bench: THE EMMETT PEER CANNOT BE INSTALLED (${why}); rotate-peer measures Rotor only`,
    );
    return { error: why };
  }
};

/** Written next to the peer's result: what "equal durability" means on its side. */
export interface EmmettSettings {
  readonly versions: string;
  readonly journalMode: string;
  readonly synchronous: string;
  readonly connection: string;
  readonly keys: string;
}

/**
 * Rotations on emmett: one shared sqlite3 connection (emmett's default opens one per
 * operation, and 64 concurrent writers then fail with SQLITE_BUSY), its transactions taken
 * one at a time by a mutex so that a reply means a commit, WAL and synchronous=FULL. The key
 * material is made as Rotor makes it (fresh secret, sealed with AES-GCM), under one data key
 * kept in memory: no data-key read, unlike Rotor's command path.
 */
export const emmettRotations = async (emmett: Emmett, fileName: string) => {
  const shared = emmett.sqlite.sqliteConnection({ fileName });
  // The mutex: a transaction waits for the one before to commit. Emmett nests transactions
  // (its schema migration, for one), and a nested one runs inside the one it belongs to.
  const holding = new AsyncLocalStorage<true>();
  let tail: Promise<unknown> = Promise.resolve();
  const connection: SqliteConnection = {
    ...shared,
    withTransaction: (fn) => {
      if (holding.getStore()) return shared.withTransaction(fn);
      const run = tail.then(() => holding.run(true, () => shared.withTransaction(fn)));
      tail = run.catch(() => undefined);
      return run;
    },
  };
  await connection.command('PRAGMA journal_mode = WAL');
  await connection.command('PRAGMA synchronous = FULL');
  const journal = await connection.querySingle<{ journal_mode: string }>('PRAGMA journal_mode');
  const sync = await connection.querySingle<{ synchronous: number }>('PRAGMA synchronous');
  const store = emmett.sqlite.getSQLiteEventStore({
    fileName,
    connectionOptions: { singleton: true, connection },
  });
  const handle = emmett.core.CommandHandler({ evolve, initialState });
  const dataKey = randomBytes(32);
  const sealed = (endpointId: string, now: Date) =>
    sealSecret({
      endpointId,
      keyId: newKeyId(now.getTime()),
      secret: generateSecret(),
      dataKey,
      kekId: 'bench',
      createdAt: now,
    });
  const run = (endpointId: string, command: EndpointCommand) =>
    handle(store, endpointStreamName(endpointId), (state) => {
      const decision = decide(command, state);
      if (isDomainError(decision)) throw decision;
      return decision;
    });
  const settings: EmmettSettings = {
    versions:
      '@event-driven-io/emmett 0.42.0, @event-driven-io/emmett-sqlite 0.42.4, sqlite3 5.1.7',
    journalMode: journal?.journal_mode ?? 'unknown',
    synchronous: sync?.synchronous === 2 ? 'FULL' : `unexpected: ${sync?.synchronous}`,
    connection: 'one shared connection, transactions one at a time (append mutex)',
    keys: 'fresh secret sealed (AES-256-GCM) under one data key in memory: no data-key read',
  };
  return {
    settings,
    async register(): Promise<string> {
      const endpointId = newEndpointId();
      const now = new Date();
      const key = sealed(endpointId, now);
      await run(endpointId, {
        type: 'RegisterEndpoint',
        data: { endpointId, tenantId: 'bench', key },
        now,
      });
      return endpointId;
    },
    async rotate(endpointId: string): Promise<void> {
      const now = new Date();
      const key = sealed(endpointId, now);
      await run(endpointId, {
        type: 'RotateSecret',
        data: { endpointId, key, expireCurrentIn: 0, force: true },
        now,
      });
    },
    async close(): Promise<void> {
      await tail;
      connection.close();
    },
  };
};
