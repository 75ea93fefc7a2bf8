import { open, secretAad, signingKeyOf, type SigningKey } from '@rotor/crypto';
import { DEFAULT_SIGNING_SCHEME, isStillValid, type SigningScheme } from '@rotor/domain';
import type { KeyRingView } from '@rotor/projections';

interface RingKey {
  readonly keyId: string;
  readonly ciphertext: string;
  readonly algorithm: SigningScheme;
  /** RFC 3339; absent for the current key. */
  readonly expiresAt?: string;
}

interface RingEntry {
  readonly endpointId: string;
  readonly tenantId: string;
  readonly revision: number;
  /** Newest first. */
  readonly keys: readonly RingKey[];
  /** Opened signing keys (HMAC or Ed25519) by key id, filled on first use so start-up stays fast. */
  readonly opened: Map<string, SigningKey>;
}

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
 */
export class KeyRing {
  private readonly entries = new Map<string, RingEntry>();

  constructor(private readonly vault: DataKeySource) {}

  get size(): number {
    return this.entries.size;
  }

  /** Applies a bucket entry; incomplete, deleted or stale drafts remove or keep as due. */
  update(endpointId: string, draft: KeyRingView | undefined): void {
    const existing = this.entries.get(endpointId);
    if (!draft || draft.deleted || !draft.tenantId || draft.keys.length === 0) {
      this.drop(endpointId, existing);
      return;
    }
    if (existing && existing.revision > draft.revision) return;
    const opened = new Map<string, SigningKey>();
    // Keep already-opened secrets of keys that are still in the ring.
    if (existing)
      for (const k of draft.keys) {
        const bytes = existing.opened.get(k.keyId);
        if (bytes) opened.set(k.keyId, bytes);
      }
    this.entries.set(endpointId, {
      endpointId,
      tenantId: draft.tenantId,
      revision: draft.revision,
      keys: draft.keys.map((k) => ({
        keyId: k.keyId,
        ciphertext: k.ciphertext,
        algorithm: (k.algorithm ?? DEFAULT_SIGNING_SCHEME) as SigningScheme,
        expiresAt: k.expiresAt,
      })),
      opened,
    });
  }

  has(endpointId: string): boolean {
    return this.entries.has(endpointId);
  }

  tenantOf(endpointId: string): string | undefined {
    return this.entries.get(endpointId)?.tenantId;
  }

  /**
   * The signing keys (HMAC or Ed25519) valid at `nowMs`, newest first (DESIGN §1: `isStillValid`, now < expiresAt;
   * the signer checks the time itself, so a late expiry event never extends a key's life).
   * undefined when the endpoint is unknown, deleted meanwhile, or its data key shredded.
   */
  async signingKeys(endpointId: string, nowMs: number): Promise<SigningKey[] | undefined> {
    const entry = this.entries.get(endpointId);
    if (!entry) return undefined;
    const now = new Date(nowMs);
    const valid = entry.keys.filter(
      (key) => key.expiresAt === undefined || isStillValid(key.expiresAt, now),
    );
    if (valid.some((key) => !entry.opened.has(key.keyId))) {
      const dataKey = await this.vault.dataKeyOf(endpointId).catch((error: unknown) => {
        // A data-key stream the audit guard refused: sign nothing (it was reported).
        if ((error as { code?: unknown }).code === 'stream_tampered') return undefined;
        throw error;
      });
      // Deleted while the data key was being read: sign nothing with what it held.
      if (!dataKey || this.entries.get(endpointId) !== entry) {
        dataKey?.fill(0);
        return undefined;
      }
      try {
        for (const key of valid)
          if (!entry.opened.has(key.keyId))
            entry.opened.set(
              key.keyId,
              signingKeyOf(
                key.algorithm,
                open(dataKey, key.ciphertext, secretAad(endpointId, key.keyId)).toString('utf8'),
              ),
            );
      } finally {
        dataKey.fill(0);
      }
    }
    return valid.map((key) => entry.opened.get(key.keyId)!);
  }

  private drop(endpointId: string, entry: RingEntry | undefined): void {
    // HMAC secrets are wiped; an Ed25519 KeyObject's memory is Node's to free.
    for (const key of entry?.opened.values() ?? []) if (Buffer.isBuffer(key)) key.fill(0);
    this.entries.delete(endpointId);
    this.vault.forget(endpointId);
  }
}
