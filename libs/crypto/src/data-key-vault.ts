import { randomBytes, randomUUID } from 'node:crypto';
import {
  chainEvents,
  GENESIS_HASH,
  type AuditSigner,
  type EventStore,
  type EventToAppend,
  type RecordedEvent,
} from '@rotor/event-store';
import {
  DATA_KEY_EVENT_VERSION,
  dataKeyAad,
  dataKeyStreamName,
  latestDataKey,
  type DataKeyEvent,
  type WrappedDataKey,
} from './data-key-events';
import { open, seal } from './envelope';
import type { KekRing } from './kek-ring';

const DATA_KEY_BYTES = 32;
const REWRAP_ATTEMPTS = 3;

/** Who asks, recorded in the event's metadata like any command. */
export interface DataKeyContext {
  readonly actor: string;
  readonly requestId: string;
  readonly idempotencyKey?: string;
}

export interface DataKeyVaultOptions {
  /** Actor recorded when a call passes no context. Default `rotor-crypto`. */
  readonly actor?: string;
  readonly clock?: () => Date;
  /** Unwrapped data keys kept in memory, least recently used evicted. Default 1000. */
  readonly cacheSize?: number;
  /** Signs the data-key streams' chain (DESIGN §6); default: the KEK ring's audit key. */
  readonly signer?: AuditSigner;
}

export type RewrapOutcome = 'rewrapped' | 'already_primary' | 'shredded';

// Duck-typed rather than `instanceof`: the error may come from another copy of the
// event-store module (bundles, test registries), and the port fixes the code.
const errorCode = (error: unknown): unknown => (error as { code?: unknown } | null)?.code;
const isWrongExpectedRevision = (error: unknown): boolean =>
  errorCode(error) === 'wrong_expected_revision';

/**
 * Per-endpoint data keys (DEKs), wrapped under the KEK ring (DESIGN §2). Secrets are sealed
 * under the DEK, the DEK under a KEK: rotating a KEK re-seals one small value per endpoint,
 * and deleting the data-key stream makes every secret of the endpoint unrecoverable.
 */
export class DataKeyVault {
  private readonly cache = new Map<
    string,
    { wrappedKey: string; kekId: string; dataKey: Buffer }
  >();
  private readonly actor: string;
  private readonly clock: () => Date;
  private readonly cacheSize: number;
  private readonly signer: AuditSigner | undefined;

  constructor(
    private readonly store: EventStore,
    private readonly kekRing: KekRing,
    options: DataKeyVaultOptions = {},
  ) {
    this.actor = options.actor ?? 'rotor-crypto';
    this.clock = options.clock ?? (() => new Date());
    this.cacheSize = options.cacheSize ?? 1000;
    this.signer = options.signer ?? kekRing.audit;
  }

  /** The endpoint's current wrapped data key; undefined if it has none (or it was shredded). */
  async get(endpointId: string): Promise<WrappedDataKey | undefined> {
    return latestDataKey(await this.store.read(dataKeyStreamName(endpointId)));
  }

  /**
   * The endpoint's data key, created under the primary KEK if it has none. Safe to race:
   * creation expects `no_stream`, and the loser reads the winner's key. After `shred` the
   * store refuses the stream for good (`StreamDeletedError`): a deleted endpoint never gets
   * a new key.
   */
  async ensure(endpointId: string, context?: DataKeyContext): Promise<WrappedDataKey> {
    const existing = await this.get(endpointId);
    if (existing) return existing;
    const dataKey = randomBytes(DATA_KEY_BYTES);
    const kekId = this.kekRing.primaryId;
    const event: DataKeyEvent = {
      type: 'DataKeyCreated',
      data: { endpointId, kekId, wrappedKey: this.wrap(endpointId, kekId, dataKey) },
    };
    try {
      const result = await this.store.append(
        dataKeyStreamName(endpointId),
        [this.toAppend(event, undefined, context)],
        'no_stream',
      );
      this.remember(endpointId, kekId, event.data.wrappedKey, dataKey);
      return { ...event.data, revision: result.nextExpectedRevision };
    } catch (error) {
      if (!isWrongExpectedRevision(error)) throw error;
      const winner = await this.get(endpointId);
      if (!winner) throw error; // created and shredded meanwhile: the conflict stands
      return winner;
    } finally {
      dataKey.fill(0); // the cache holds its own copy
    }
  }

  /** The plaintext data key. Throws `DecryptionError` or `UnknownKekError`. */
  unwrap(wrapped: WrappedDataKey): Buffer {
    const cached = this.cache.get(wrapped.endpointId);
    if (cached && cached.wrappedKey === wrapped.wrappedKey) {
      // Re-insert so the Map's order stays least-recently-used first.
      this.cache.delete(wrapped.endpointId);
      this.cache.set(wrapped.endpointId, cached);
      return Buffer.from(cached.dataKey);
    }
    const dataKey = open(
      this.kekRing.get(wrapped.kekId),
      wrapped.wrappedKey,
      dataKeyAad(wrapped.endpointId),
    );
    this.remember(wrapped.endpointId, wrapped.kekId, wrapped.wrappedKey, dataKey);
    return Buffer.from(dataKey);
  }

  /**
   * The endpoint's plaintext data key (a copy), read from the store on first use and then
   * served from memory; undefined when it has none (never created, or shredded). A re-wrap
   * changes the wrapping, not the data key, so a cached key stays right until `forget`.
   */
  async dataKeyOf(endpointId: string): Promise<Buffer | undefined> {
    return (await this.sealingKeyOf(endpointId))?.dataKey;
  }

  /**
   * What a writer seals a new key of the endpoint with: its data key (a copy) and the id of
   * the KEK that wraps it, served from memory after first use like `dataKeyOf`, so a
   * rotation does not read the data-key stream each time. A deletion elsewhere cannot slip
   * past a stale entry: the writer appends expecting the revision of an endpoint that was
   * not deleted, so its append conflicts and the command is decided again on the deletion.
   * (A re-wrap elsewhere leaves the data key as it was; only the recorded KEK id lags.)
   */
  async sealingKeyOf(endpointId: string): Promise<{ kekId: string; dataKey: Buffer } | undefined> {
    const cached = this.cache.get(endpointId);
    if (cached) return { kekId: cached.kekId, dataKey: Buffer.from(cached.dataKey) };
    const wrapped = await this.get(endpointId);
    return wrapped ? { kekId: wrapped.kekId, dataKey: this.unwrap(wrapped) } : undefined;
  }

  /**
   * Crypto-shredding: the only copy of the endpoint's wrapped data key is deleted, so its
   * sealed secrets, still in the endpoint's history, can never be opened again.
   */
  async shred(endpointId: string): Promise<void> {
    this.forget(endpointId);
    await this.store.deleteStream(dataKeyStreamName(endpointId));
  }

  /**
   * Re-seals the endpoint's data key under the primary KEK, so older KEKs can leave the
   * ring. Idempotent: a re-wrap run that crashed is resumed by running it again.
   */
  async rewrap(endpointId: string, context?: DataKeyContext): Promise<RewrapOutcome> {
    for (let attempt = 1; ; attempt++) {
      const events = await this.store.read(dataKeyStreamName(endpointId));
      const current = latestDataKey(events);
      if (!current) return 'shredded';
      const kekId = this.kekRing.primaryId;
      if (current.kekId === kekId) return 'already_primary';
      const dataKey = this.unwrap(current);
      const event: DataKeyEvent = {
        type: 'DataKeyRewrapped',
        data: {
          endpointId,
          kekId,
          previousKekId: current.kekId,
          wrappedKey: this.wrap(endpointId, kekId, dataKey),
        },
      };
      try {
        await this.store.append(
          dataKeyStreamName(endpointId),
          [this.toAppend(event, events.at(-1), context)],
          current.revision,
        );
        this.remember(endpointId, kekId, event.data.wrappedKey, dataKey);
        return 'rewrapped';
      } catch (error) {
        if (errorCode(error) === 'stream_deleted') return 'shredded';
        // Someone else re-wrapped meanwhile: look again at what they left.
        if (!isWrongExpectedRevision(error) || attempt >= REWRAP_ATTEMPTS) throw error;
      } finally {
        dataKey.fill(0);
      }
    }
  }

  private wrap(endpointId: string, kekId: string, dataKey: Buffer): string {
    return seal(this.kekRing.get(kekId), dataKey, dataKeyAad(endpointId));
  }

  /** The event with its metadata, chained to the stream's last event like every stream (§6). */
  private toAppend(
    event: DataKeyEvent,
    previous: RecordedEvent | undefined,
    context: DataKeyContext | undefined,
  ): EventToAppend {
    const { actor, requestId, idempotencyKey } = context ?? {
      actor: this.actor,
      requestId: randomUUID(),
    };
    const [chained] = chainEvents(
      dataKeyStreamName(event.data.endpointId),
      previous ? previous.revision + 1 : 0,
      previous?.metadata.hash ?? GENESIS_HASH,
      [
        {
          type: event.type,
          version: DATA_KEY_EVENT_VERSION,
          data: event.data,
          metadata: {
            actor,
            requestId,
            ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
            occurredAt: this.clock().toISOString(),
          },
        },
      ],
      this.signer,
    );
    return chained;
  }

  private remember(endpointId: string, kekId: string, wrappedKey: string, dataKey: Buffer): void {
    this.forget(endpointId);
    this.cache.set(endpointId, { wrappedKey, kekId, dataKey: Buffer.from(dataKey) });
    if (this.cache.size > this.cacheSize) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.forget(oldest);
    }
  }

  /** Drops (and zeroes) the endpoint's data key from memory, e.g. once it was deleted. */
  forget(endpointId: string): void {
    // Zeroed so a shredded key does not linger in freed memory longer than it must.
    this.cache.get(endpointId)?.dataKey.fill(0);
    this.cache.delete(endpointId);
  }
}
