import { createHash, hkdfSync } from 'node:crypto';
import { open, seal, type KekRing } from '@rotor/crypto';
import { canonicalJson } from '@rotor/event-store';
import type { KvBucket } from '@rotor/messaging';
import { ProblemException, type FieldProblem } from '../http/problem';

/**
 * Idempotency-Key records (DESIGN §5), one per (API key, Idempotency-Key), in a KV bucket
 * with a 24 h TTL. `create` (atomic put-if-absent) makes the in-flight marker, so of two
 * concurrent first requests exactly one runs. The stored response may hold a secret (the
 * 201 of a registration), so it is sealed: AES-256-GCM under a key derived with HKDF from
 * the primary KEK, the record's key as AAD (a sealed response copied to another record
 * does not open).
 */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;
const HKDF_INFO = 'rotor/gateway/idempotency-records/v1';

export interface IdempotencyRecord {
  readonly state: 'in_flight' | 'done';
  /** SHA-256 of method, path and canonical body: the same key with another body is refused. */
  readonly fingerprint: string;
  /** Epoch ms when the first request began. */
  readonly startedAt: number;
  /** state done: the KEK the response was sealed under, and the sealed response. */
  readonly kekId?: string;
  readonly sealed?: string;
}

export interface StoredProblem {
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  readonly param?: string;
  readonly errors?: readonly FieldProblem[];
}

export type StoredResponse =
  | { readonly status: number; readonly body: unknown }
  | { readonly status: number; readonly problem: StoredProblem };

export type Admission =
  | { readonly kind: 'proceed'; readonly recordKey: string; readonly fingerprint: string }
  | { readonly kind: 'replay'; readonly response: StoredResponse };

export interface IdempotentRequest {
  readonly apiKeyId: string;
  readonly idempotencyKey: string;
  readonly method: string;
  readonly path: string;
  readonly body: unknown;
}

export interface IdempotencyStoreOptions {
  readonly now?: () => number;
  /**
   * An in-flight marker older than this is taken to be abandoned (its gateway died) and is
   * taken over: without it, a crash would block the key for 24 h.
   */
  readonly inFlightTimeoutMs?: number;
}

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

export const recordKeyOf = (apiKeyId: string, idempotencyKey: string): string =>
  sha256(`${apiKeyId}\u0000${idempotencyKey}`);

export const fingerprintOf = (method: string, path: string, body: unknown): string =>
  sha256(`${method.toUpperCase()} ${path}\n${canonicalJson(body ?? {})}`);

/** 1 to 255 printable ASCII characters, as the IETF draft and common practice allow. */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x20-\x7e]{1,255}$/;

export class IdempotencyStore {
  private readonly now: () => number;
  private readonly inFlightTimeoutMs: number;
  private readonly sealingKeys = new Map<string, Buffer>();

  constructor(
    private readonly bucket: KvBucket<IdempotencyRecord>,
    private readonly kekRing: KekRing,
    options: IdempotencyStoreOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.inFlightTimeoutMs = options.inFlightTimeoutMs ?? 120_000;
  }

  /**
   * Proceed (a marker is now in flight for this request), or replay the stored response.
   * Throws 422 `idempotency_key_reused` for another request under the same key, 409
   * `idempotency_request_in_flight` while the first one runs.
   */
  async admit(request: IdempotentRequest): Promise<Admission> {
    const recordKey = recordKeyOf(request.apiKeyId, request.idempotencyKey);
    const fingerprint = fingerprintOf(request.method, request.path, request.body);
    const marker: IdempotencyRecord = { state: 'in_flight', fingerprint, startedAt: this.now() };
    // A record can vanish between `create` and `get` (expired, released): try again then.
    for (let attempt = 0; attempt < 3; attempt += 1) {
      if (await this.bucket.create(recordKey, marker))
        return { kind: 'proceed', recordKey, fingerprint };
      const existing = await this.bucket.get(recordKey);
      if (!existing) continue;
      if (existing.fingerprint !== fingerprint) throw reused();
      if (existing.state === 'done')
        return { kind: 'replay', response: this.open(recordKey, existing) };
      if (this.now() - existing.startedAt > this.inFlightTimeoutMs) {
        await this.bucket.put(recordKey, marker);
        return { kind: 'proceed', recordKey, fingerprint };
      }
      throw inFlight();
    }
    throw inFlight();
  }

  /** Stores the response of a request admitted with `proceed`. */
  async complete(
    admission: { recordKey: string; fingerprint: string },
    response: StoredResponse,
  ): Promise<void> {
    const kekId = this.kekRing.primaryId;
    const sealed = seal(
      this.sealingKey(kekId),
      Buffer.from(JSON.stringify(response), 'utf8'),
      admission.recordKey,
    );
    const existing = await this.bucket.get(admission.recordKey);
    await this.bucket.put(admission.recordKey, {
      state: 'done',
      fingerprint: admission.fingerprint,
      startedAt: existing?.startedAt ?? this.now(),
      kekId,
      sealed,
    });
  }

  /** Forgets a request that failed in a way a retry may fix (5xx, validation). */
  async release(admission: { recordKey: string }): Promise<void> {
    await this.bucket.delete(admission.recordKey);
  }

  private open(recordKey: string, record: IdempotencyRecord): StoredResponse {
    if (!record.kekId || !record.sealed) throw new Error('idempotency record without a response');
    const plaintext = open(this.sealingKey(record.kekId), record.sealed, recordKey);
    return JSON.parse(plaintext.toString('utf8')) as StoredResponse;
  }

  private sealingKey(kekId: string): Buffer {
    let key = this.sealingKeys.get(kekId);
    if (!key) {
      key = Buffer.from(
        hkdfSync('sha256', this.kekRing.get(kekId), Buffer.alloc(0), HKDF_INFO, 32),
      );
      this.sealingKeys.set(kekId, key);
    }
    return key;
  }
}

const reused = () =>
  new ProblemException({
    status: 422,
    code: 'idempotency_key_reused',
    detail: 'this Idempotency-Key was used for a different request; use a new key',
    param: 'Idempotency-Key',
  });

const inFlight = () =>
  new ProblemException({
    status: 409,
    code: 'idempotency_request_in_flight',
    detail: 'a request with this Idempotency-Key is still being processed; retry later',
    headers: { 'Retry-After': '1' },
  });
