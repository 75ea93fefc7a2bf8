import { open, secretAad, signingKeyOf, type SigningKey } from '@rotor/crypto';
import { DEFAULT_SIGNING_SCHEME, isStillValid, type SigningScheme } from '@rotor/domain';
import type { KeyRingView } from '@rotor/projections';
import { ByteArena } from './byte-arena';
import { EndpointIndex, hashBytes } from './endpoint-index';
import {
  maxRecordBytes,
  recordKeys,
  recordRevision,
  recordSize,
  recordTenant,
  writeRecord,
  writeUtf8,
  type RecordTables,
} from './ring-record';
import { StringTable } from './string-table';

/**
 * An endpoint the signer has signed for: what each request needs, as JS values, so that
 * signing reads no packed bytes. Replaced (never changed) when the endpoint's record is, so
 * an unchanged object means an unchanged record.
 */
interface LiveEndpoint {
  /** Where the endpoint's record is in the arena. */
  readonly locator: number;
  /** Newest first, as in the record. */
  readonly keyIds: readonly string[];
  readonly expiresAt: readonly (string | undefined)[];
  /** Opened signing keys (HMAC or Ed25519), by the key's index; filled on first use. */
  readonly opened: (SigningKey | undefined)[];
}

/** What the ring holds, in bytes, for the benchmark and for operators. */
export interface KeyRingFootprint {
  readonly endpoints: number;
  /** The arena's chunks, free space included. */
  readonly arenaBytes: number;
  /** Of `arenaBytes`, the endpoints' records. */
  readonly recordBytes: number;
  /** Of `arenaBytes`, space freed by replaced or deleted records, waiting for reuse. */
  readonly arenaFreeBytes: number;
  readonly indexBytes: number;
  /** Endpoints signed for since their last change (their keys are held as JS values). */
  readonly liveEndpoints: number;
}

/**
 * Whether the ring can pack the draft: the texts it stores are texts. The bucket holds JSON
 * the signer does not control, and packing a stray value would throw inside the KV watch,
 * which would then restart on the same entry forever; such a draft signs nothing instead,
 * like an incomplete one.
 */
const isPackable = (draft: KeyRingView): boolean =>
  typeof draft.tenantId === 'string' &&
  Array.isArray(draft.keys) &&
  draft.keys.every(
    (key) =>
      typeof key?.keyId === 'string' &&
      typeof key.ciphertext === 'string' &&
      (key.expiresAt === undefined || typeof key.expiresAt === 'string') &&
      (key.algorithm === undefined || key.algorithm === null || typeof key.algorithm === 'string'),
  );

/**
 * Where the signer gets an endpoint's data key: `DataKeyVault`, which reads the wrapped
 * key from the store (never from a view: see key-ring-view.ts) and keeps it unwrapped in
 * memory until `forget`.
 */
export interface DataKeySource {
  /** The plaintext data key (a copy), or undefined once the endpoint's key is shredded. */
  dataKeyOf(endpointId: string): Promise<Buffer | undefined>;
  forget(endpointId: string): void;
}

/**
 * The signer's in-memory key ring, fed by the projector's key-ring bucket. Secrets are
 * opened lazily (the data key from the vault, then the sealed key) and kept only in this
 * process's memory; a deleted endpoint's data key and secrets are dropped at once.
 *
 * A million endpoints are held packed (ring-record.ts): each endpoint's sealed keys are one
 * record of bytes in an arena outside the JS heap, found through a hash table of typed
 * arrays, with tenant ids and schemes interned; about 320 bytes an endpoint with two keys,
 * where parsed views cost over 1 KiB. Only endpoints actually signed for get JS objects.
 */
export class KeyRing {
  private readonly arena = new ByteArena();
  private readonly index = new EndpointIndex(this.arena);
  private readonly tables: RecordTables = {
    tenants: new StringTable(),
    schemes: new StringTable(),
  };
  private readonly live = new Map<string, LiveEndpoint>();
  /** The endpoint id of the last lookup, as UTF-8, and its hash. */
  private idBytes = Buffer.allocUnsafeSlow(256);
  private idLength = 0;
  private idHash = 0;
  /** Where an update is packed before it is copied into the arena at its exact size. */
  private recordScratch = Buffer.allocUnsafeSlow(4096);

  constructor(private readonly vault: DataKeySource) {}

  get size(): number {
    return this.index.size;
  }

  /** Applies a bucket entry; incomplete, malformed, deleted or stale drafts remove or keep as due. */
  update(endpointId: string, draft: KeyRingView | undefined): void {
    const slot = this.slotOf(endpointId);
    if (
      !draft ||
      draft.deleted ||
      !draft.tenantId ||
      !isPackable(draft) ||
      draft.keys.length === 0
    ) {
      this.drop(endpointId, slot);
      return;
    }
    if (slot >= 0 && this.revisionAt(slot) > draft.revision) return;
    const locator = this.store(endpointId, draft);
    if (slot >= 0) {
      this.release(this.index.locatorAt(slot));
      this.index.replace(slot, locator);
    } else this.index.insert(this.idHash, locator);
    const live = this.live.get(endpointId);
    // Keep already-opened secrets of keys that are still in the ring.
    if (live) this.live.set(endpointId, this.liveEndpoint(locator, live));
  }

  has(endpointId: string): boolean {
    return this.slotOf(endpointId) >= 0;
  }

  tenantOf(endpointId: string): string | undefined {
    const slot = this.slotOf(endpointId);
    if (slot < 0) return undefined;
    const locator = this.index.locatorAt(slot);
    return recordTenant(this.arena.chunkOf(locator), this.arena.offsetOf(locator), this.tables);
  }

  footprint(): KeyRingFootprint {
    const arena = this.arena.footprint();
    return {
      endpoints: this.index.size,
      arenaBytes: arena.chunkBytes,
      recordBytes: arena.recordBytes,
      arenaFreeBytes: arena.freeBytes,
      indexBytes: this.index.byteLength,
      liveEndpoints: this.live.size,
    };
  }

  /**
   * The signing keys (HMAC or Ed25519) valid at `nowMs`, newest first (DESIGN §1: `isStillValid`, now < expiresAt;
   * the signer checks the time itself, so a late expiry event never extends a key's life).
   * undefined when the endpoint is unknown, deleted meanwhile, or its data key shredded.
   */
  async signingKeys(endpointId: string, nowMs: number): Promise<SigningKey[] | undefined> {
    const live = this.live.get(endpointId) ?? this.goLive(endpointId);
    if (!live) return undefined;
    const now = new Date(nowMs);
    const valid: number[] = [];
    for (let i = 0; i < live.keyIds.length; i++) {
      const expiresAt = live.expiresAt[i];
      if (expiresAt === undefined || isStillValid(expiresAt, now)) valid.push(i);
    }
    if (valid.some((i) => live.opened[i] === undefined)) {
      const dataKey = await this.vault.dataKeyOf(endpointId).catch((error: unknown) => {
        // A data-key stream the audit guard refused: sign nothing (it was reported).
        if ((error as { code?: unknown }).code === 'stream_tampered') return undefined;
        throw error;
      });
      // Changed or deleted while the data key was being read: sign nothing with what it held.
      if (!dataKey || this.live.get(endpointId) !== live) {
        dataKey?.fill(0);
        return undefined;
      }
      try {
        const keys = recordKeys(
          this.arena.chunkOf(live.locator),
          this.arena.offsetOf(live.locator),
          this.tables,
        );
        for (const i of valid)
          live.opened[i] ??= signingKeyOf(
            keys[i].scheme as SigningScheme,
            open(dataKey, keys[i].ciphertext, secretAad(endpointId, keys[i].keyId)).toString(
              'utf8',
            ),
          );
      } finally {
        dataKey.fill(0);
      }
    }
    return valid.map((i) => live.opened[i]!);
  }

  /** Encodes the id as UTF-8 into `idBytes` (kept for a following insert) and finds its slot. */
  private slotOf(endpointId: string): number {
    if (endpointId.length * 3 > this.idBytes.length)
      this.idBytes = Buffer.allocUnsafeSlow(endpointId.length * 3);
    this.idLength = writeUtf8(this.idBytes, 0, endpointId);
    this.idHash = hashBytes(this.idBytes, this.idLength);
    return this.index.find(this.idBytes, this.idLength, this.idHash);
  }

  private revisionAt(slot: number): number {
    const locator = this.index.locatorAt(slot);
    return recordRevision(this.arena.chunkOf(locator), this.arena.offsetOf(locator));
  }

  /** Packs the draft into a new record of its exact size; returns its locator. */
  private store(endpointId: string, draft: KeyRingView): number {
    const bound = maxRecordBytes(endpointId, draft);
    if (bound > this.recordScratch.length) this.recordScratch = Buffer.allocUnsafeSlow(bound);
    const size = writeRecord(
      this.recordScratch,
      endpointId,
      draft,
      this.tables,
      DEFAULT_SIGNING_SCHEME,
    );
    const locator = this.arena.alloc(size);
    // TypedArray#set is a plain memmove; Buffer#copy checks its arguments in JS first.
    this.arena
      .chunkOf(locator)
      .set(this.recordScratch.subarray(0, size), this.arena.offsetOf(locator));
    return locator;
  }

  private release(locator: number): void {
    this.arena.free(locator, recordSize(this.arena.chunkOf(locator), this.arena.offsetOf(locator)));
  }

  /** The endpoint's live form, from its record; undefined when the ring has no such endpoint. */
  private goLive(endpointId: string): LiveEndpoint | undefined {
    const slot = this.slotOf(endpointId);
    if (slot < 0) return undefined;
    const live = this.liveEndpoint(this.index.locatorAt(slot), undefined);
    this.live.set(endpointId, live);
    return live;
  }

  /** A live endpoint for the record at `locator`, with the secrets `previous` had opened. */
  private liveEndpoint(locator: number, previous: LiveEndpoint | undefined): LiveEndpoint {
    const keys = recordKeys(this.arena.chunkOf(locator), this.arena.offsetOf(locator), this.tables);
    const keyIds = keys.map((key) => key.keyId);
    return {
      locator,
      keyIds,
      expiresAt: keys.map((key) => key.expiresAt),
      opened: keyIds.map((keyId) => {
        const before = previous?.keyIds.indexOf(keyId) ?? -1;
        return before < 0 ? undefined : previous!.opened[before];
      }),
    };
  }

  private drop(endpointId: string, slot: number): void {
    const live = this.live.get(endpointId);
    // HMAC secrets are wiped; an Ed25519 KeyObject's memory is Node's to free.
    for (const key of live?.opened ?? []) if (Buffer.isBuffer(key)) key.fill(0);
    this.live.delete(endpointId);
    if (slot >= 0) {
      this.release(this.index.locatorAt(slot));
      this.index.removeAt(slot);
    }
    this.vault.forget(endpointId);
  }
}
