import { open, secretAad, signingKeyOf, type DataKeyVault, type SigningKey } from '@rotor/crypto';
import { DEFAULT_SIGNING_SCHEME, type SigningScheme } from '@rotor/domain';
import type { KeyRingDraft } from '@rotor/projections';

interface RingKey {
  readonly keyId: string;
  readonly ciphertext: string;
  readonly algorithm: SigningScheme;
  /** Epoch ms; Infinity for the current key. Parsed once, not on every signature. */
  readonly expiresAtMs: number;
}

interface RingEntry {
  readonly endpointId: string;
  readonly tenantId: string;
  readonly dataKey: { readonly kekId: string; readonly wrappedKey: string };
  readonly revision: number;
  /** Newest first. */
  readonly keys: readonly RingKey[];
  /** Opened signing keys by key id, filled on first use so start-up stays fast. */
  readonly opened: Map<string, SigningKey>;
}

/**
 * The signer's in-memory key ring, fed by the projector's key-ring bucket. Secrets are
 * opened lazily (data key from the vault's wrapping, then the sealed key) and kept only in
 * this process's memory.
 */
export class KeyRing {
  private readonly entries = new Map<string, RingEntry>();

  constructor(private readonly vault: Pick<DataKeyVault, 'unwrap'>) {}

  get size(): number {
    return this.entries.size;
  }

  /** Applies a bucket entry; incomplete, deleted or stale drafts remove or keep as due. */
  update(endpointId: string, draft: KeyRingDraft | undefined): void {
    const existing = this.entries.get(endpointId);
    if (!draft || draft.deleted || !draft.tenantId || !draft.dataKey || draft.keys.length === 0) {
      this.entries.delete(endpointId);
      return;
    }
    if (existing && existing.revision > draft.revision) return;
    const sameDataKey = existing?.dataKey.wrappedKey === draft.dataKey.wrappedKey;
    const opened = new Map<string, SigningKey>();
    // Keep already-opened secrets of keys that are still in the ring.
    if (existing && sameDataKey)
      for (const k of draft.keys) {
        const bytes = existing.opened.get(k.keyId);
        if (bytes) opened.set(k.keyId, bytes);
      }
    this.entries.set(endpointId, {
      endpointId,
      tenantId: draft.tenantId,
      dataKey: { kekId: draft.dataKey.kekId, wrappedKey: draft.dataKey.wrappedKey },
      revision: draft.revision,
      keys: draft.keys.map((k) => ({
        keyId: k.keyId,
        ciphertext: k.ciphertext,
        algorithm: (k.algorithm ?? DEFAULT_SIGNING_SCHEME) as SigningScheme,
        expiresAtMs: k.expiresAt === undefined ? Number.POSITIVE_INFINITY : Date.parse(k.expiresAt),
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
   * The signing keys (HMAC or Ed25519) valid at `nowMs`, newest first (DESIGN §1: valid while now < expiresAt;
   * the signer checks the time itself, so a late expiry event never extends a key's life).
   * undefined when the endpoint is unknown.
   */
  signingKeys(endpointId: string, nowMs: number): SigningKey[] | undefined {
    const entry = this.entries.get(endpointId);
    if (!entry) return undefined;
    const keys: SigningKey[] = [];
    for (const key of entry.keys) {
      if (nowMs >= key.expiresAtMs) continue;
      let bytes = entry.opened.get(key.keyId);
      if (!bytes) {
        const dataKey = this.vault.unwrap({ endpointId, ...entry.dataKey, revision: 0 });
        const secret = open(dataKey, key.ciphertext, secretAad(endpointId, key.keyId)).toString(
          'utf8',
        );
        bytes = signingKeyOf(key.algorithm, secret);
        entry.opened.set(key.keyId, bytes);
      }
      keys.push(bytes);
    }
    return keys;
  }
}
