import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { ConfigError, loadConfig, type RotorConfig } from '@rotor/config';
import { auditPolicyOf, loadKekRing, parseKekRing, type KekRing } from '@rotor/crypto';
import {
  createEventStore,
  type AuditPolicy,
  type AuditSigner,
  type EventStore,
} from '@rotor/event-store';
import { usageError, type ExitCode } from './cli-error';
import type { Output } from './output';

/**
 * The file the all-in-one process writes its development KEK ring to
 * (services/all-in-one/src/dev-kek-ring.ts), read back when no ring is configured so the
 * CLI opens the same secrets as `npm start`.
 */
export const DEV_KEK_RING_FILE = 'kek-ring.dev.json';

/** Runs a command's work with the context, maps its outcome to an exit code, closes. */
export type RunCommand = (
  work: (context: CliContext, output: Output) => Promise<ExitCode>,
) => Promise<void>;

/**
 * What every command needs from the outside world, opened on first use and closed once:
 * the configuration the services read (same variables), the event store and the KEK ring.
 */
export class CliContext {
  /** Recorded as the actor of the events the CLI writes: which operator did it. */
  readonly actor: string;
  /** One request id per run: every event one run writes can be found together. */
  readonly requestId = randomUUID();
  private store?: EventStore;
  /** false: looked for, none configured. */
  private ring?: KekRing | false;

  private constructor(
    readonly config: RotorConfig,
    private readonly output: Output,
  ) {
    this.actor = `cli:${operatorName()}`;
  }

  /** Reads the configuration; a bad value is a usage error (exit 2) naming every problem. */
  static fromEnv(env: NodeJS.ProcessEnv, output: Output): CliContext {
    try {
      return new CliContext(loadConfig(env), output);
    } catch (error) {
      if (error instanceof ConfigError) throw usageError(error.message);
      throw error;
    }
  }

  /**
   * The event store of the configuration. A sqlite file that does not exist is refused
   * unless `create`: a mistyped SQLITE_PATH must not audit a fresh, empty store and say
   * "intact".
   */
  openStore(options: { create?: boolean } = {}): EventStore {
    if (this.store) return this.store;
    const { eventStore, sqlitePath, esdbConnectionString } = this.config;
    if (eventStore === 'sqlite' && !options.create && !existsSync(sqlitePath))
      throw usageError(
        `no event store at ${resolve(sqlitePath)} (set SQLITE_PATH or ROTOR_DATA_DIR, ` +
          'or EVENT_STORE=esdb with ESDB_CONNECTION_STRING)',
      );
    // A one-shot tool that does nothing else while it reads: the direct connection is
    // faster than a worker thread.
    this.store = createEventStore({
      kind: eventStore,
      sqlitePath,
      esdbConnectionString,
      sqlite: { onThisThread: true },
    });
    return this.store;
  }

  /**
   * The KEK ring the services use: ROTOR_KEK_RING or ROTOR_KEK_RING_FILE; on the embedded
   * store (the all-in-one mode) the development ring in ROTOR_DATA_DIR when neither is set.
   * Never generates one: a new ring could not open what the old one sealed.
   */
  kekRing(): KekRing {
    const ring = this.optionalKekRing();
    if (!ring)
      throw usageError(
        'no KEK ring: set ROTOR_KEK_RING or ROTOR_KEK_RING_FILE' +
          (this.config.eventStore === 'sqlite'
            ? ` (or start the all-in-one mode once, which writes ${join(this.config.dataDir, DEV_KEK_RING_FILE)})`
            : ''),
      );
    return ring;
  }

  /** The KEK ring if one is configured (or the development one), else undefined. */
  optionalKekRing(): KekRing | undefined {
    if (this.ring !== undefined) return this.ring || undefined;
    const { text, file } = this.config.kekRing;
    let ring: KekRing | undefined;
    try {
      ring = loadKekRing({ ROTOR_KEK_RING: text, ROTOR_KEK_RING_FILE: file });
      if (!ring && this.config.eventStore === 'sqlite') {
        const devFile = join(this.config.dataDir, DEV_KEK_RING_FILE);
        if (existsSync(devFile)) {
          ring = parseKekRing(readFileSync(devFile, 'utf8'));
          this.output.note(`using the development KEK ring ${devFile}`);
        }
      }
    } catch (error) {
      // The ring's own errors never quote key material (libs/crypto/src/kek-ring.ts).
      throw usageError(`KEK ring: ${(error as Error).message}`);
    }
    this.ring = ring ?? false;
    return ring;
  }

  /**
   * The audit signing key for what the CLI writes (API keys, re-wraps): the KEK ring's. With
   * none, the events are written unsigned, and services that verify will refuse them.
   */
  auditSigner(): AuditSigner | undefined {
    const signer = this.optionalKekRing()?.audit;
    if (!signer)
      this.output.note(
        'no audit key in the KEK ring: writing unsigned events, which services that verify ' +
          'the audit trail refuse (README: Audit)',
      );
    return signer;
  }

  /** What `audit verify` checks signatures with; undefined when no key is configured. */
  auditPolicy(): AuditPolicy | undefined {
    try {
      return auditPolicyOf(this.config.audit, this.optionalKekRing());
    } catch (error) {
      throw usageError(`ROTOR_AUDIT_PUBLIC_KEY: ${(error as Error).message}`);
    }
  }

  /**
   * The last position of the global feed when it is cheap to know: the embedded store's
   * highest position, one indexed lookup on the file (read-only). EventStoreDB has no such
   * cheap answer through the port: undefined, and progress is drawn as a spinner.
   */
  feedHead(): number | undefined {
    if (this.config.eventStore !== 'sqlite') return undefined;
    try {
      const db = new Database(this.config.sqlitePath, { readonly: true, fileMustExist: true });
      try {
        const row = db.prepare('SELECT MAX(global_position) AS head FROM events').get() as
          { head: number | null } | undefined;
        return row?.head ?? undefined;
      } finally {
        db.close();
      }
    } catch {
      return undefined; // progress only: a spinner will do
    }
  }

  async close(): Promise<void> {
    await this.store?.close();
    this.store = undefined;
  }
}

const operatorName = (): string => {
  try {
    return userInfo().username || 'unknown';
  } catch {
    return process.env.USER ?? 'unknown';
  }
};
