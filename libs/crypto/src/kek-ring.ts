import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  AuditKeyError,
  createAuditSigner,
  generateAuditPrivateKey,
  type AuditSigner,
} from '@rotor/event-store';

/**
 * Key-encryption keys from configuration (DESIGN §2). Several KEKs can be configured at
 * once so a KEK can be rotated: new data keys are wrapped under the primary, and data keys
 * wrapped under an older KEK still open until `DataKeyVault.rewrap` has moved them.
 *
 * Format: {"primary":"kek-2025","keys":{"kek-2025":"<base64 of 32 bytes>", ...},
 *          "audit":{"privateKey":"<base64 of a 32-byte Ed25519 seed>"}}
 *
 * `audit` is the private half of the audit key (DESIGN §6): it lives with the KEKs because
 * the same processes write (and so sign) and the same threat applies to both. It is
 * optional so a ring made before signed audit still loads; without it, events are written
 * unsigned (chain v1) and the process says so at start.
 *
 * No error message, log line or serialisation of a ring ever contains key material.
 */
export const KEK_ID_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;
const KEK_BYTES = 32;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const FORMAT_HINT =
  'expected {"primary": "<kek id>", "keys": {"<kek id>": "<base64 of 32 bytes>", ...}}';

export class KekRingError extends Error {
  readonly code = 'invalid_kek_ring';
  override readonly name = 'KekRingError';
}

/** Asked for a KEK the ring does not hold, e.g. one removed before a re-wrap finished. */
export class UnknownKekError extends Error {
  readonly code = 'unknown_kek';
  override readonly name = 'UnknownKekError';
  constructor(readonly kekId: string) {
    super(`KEK "${kekId}" is not in the configured KEK ring (removed before a re-wrap?)`);
  }
}

export interface KekRing {
  /** The KEK that wraps new data keys and that `rewrap` moves old ones to. */
  readonly primaryId: string;
  readonly ids: readonly string[];
  has(id: string): boolean;
  /** A copy of the KEK's bytes; throws `UnknownKekError`. */
  get(id: string): Buffer;
  /** The audit signing key, when the ring has one. */
  readonly audit?: AuditSigner;
  /**
   * `audit.legacyUntil`: the store's last position when the key was added to a ring in use,
   * so the unsigned history before it stays acceptable (ROTOR_AUDIT_LEGACY_UNTIL wins).
   */
  readonly auditLegacyUntil?: string;
}

class ConfiguredKekRing implements KekRing {
  // A private field: neither util.inspect, console.log nor JSON.stringify shows it.
  readonly #keys: ReadonlyMap<string, Buffer>;

  constructor(
    readonly primaryId: string,
    keys: ReadonlyMap<string, Buffer>,
    readonly audit?: AuditSigner,
    readonly auditLegacyUntil?: string,
  ) {
    this.#keys = keys;
  }

  get ids(): readonly string[] {
    return [...this.#keys.keys()];
  }

  has(id: string): boolean {
    return this.#keys.has(id);
  }

  get(id: string): Buffer {
    const key = this.#keys.get(id);
    if (!key) throw new UnknownKekError(id);
    return Buffer.from(key);
  }
}

/** Builds a ring from decoded keys, with the same checks as `parseKekRing`. */
export const createKekRing = (
  primaryId: string,
  keys: Readonly<Record<string, Buffer>>,
  audit?: AuditSigner,
  auditLegacyUntil?: string,
): KekRing => {
  const entries = Object.entries(keys);
  if (entries.length === 0) throw new KekRingError('KEK ring has no keys');
  const ring = new Map<string, Buffer>();
  entries.forEach(([id, key], index) => {
    // An id that fails the pattern is not echoed: it may be key material pasted in the
    // wrong place.
    if (!KEK_ID_PATTERN.test(id))
      throw new KekRingError(
        `KEK ring key #${index + 1} has an invalid id: expected 1-64 of A-Z a-z 0-9 _ . -`,
      );
    if (key.length !== KEK_BYTES)
      throw new KekRingError(`KEK "${id}" is ${key.length} bytes, expected ${KEK_BYTES}`);
    ring.set(id, Buffer.from(key));
  });
  if (!ring.has(primaryId))
    throw new KekRingError(
      `KEK ring primary is not one of its keys (${[...ring.keys()].join(', ')})`,
    );
  return new ConfiguredKekRing(primaryId, ring, audit, auditLegacyUntil);
};

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export const parseKekRing = (text: string): KekRing => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // JSON.parse's own message quotes the input, which holds the keys: never pass it on.
    throw new KekRingError(`KEK ring is not valid JSON: ${FORMAT_HINT}`);
  }
  if (!isRecord(parsed)) throw new KekRingError(`KEK ring is not a JSON object: ${FORMAT_HINT}`);
  const { primary, keys, audit } = parsed;
  if (typeof primary !== 'string' || primary.length === 0)
    throw new KekRingError(`KEK ring has no "primary": ${FORMAT_HINT}`);
  if (!isRecord(keys)) throw new KekRingError(`KEK ring has no "keys" object: ${FORMAT_HINT}`);
  const decoded: Record<string, Buffer> = {};
  Object.entries(keys).forEach(([id, value], index) => {
    const name = KEK_ID_PATTERN.test(id) ? `KEK "${id}"` : `KEK ring key #${index + 1}`;
    if (typeof value !== 'string' || !BASE64.test(value))
      throw new KekRingError(`${name} is not a base64 string`);
    decoded[id] = Buffer.from(value, 'base64');
  });
  if (audit === undefined) return createKekRing(primary, decoded);
  const legacyUntil = isRecord(audit) ? audit.legacyUntil : undefined;
  if (
    legacyUntil !== undefined &&
    (typeof legacyUntil !== 'string' || !/^\d+(:\d+)?$/.test(legacyUntil))
  )
    throw new KekRingError('KEK ring "audit.legacyUntil" must be a global position, e.g. "1234"');
  return createKekRing(primary, decoded, parseAudit(audit), legacyUntil);
};

const parseAudit = (audit: unknown): AuditSigner => {
  if (!isRecord(audit))
    throw new KekRingError('KEK ring "audit" must be {"privateKey": "<base64 of 32 bytes>"}');
  try {
    return createAuditSigner(audit.privateKey);
  } catch (error) {
    // AuditKeyError messages never quote the key.
    if (error instanceof AuditKeyError)
      throw new KekRingError(`KEK ring "audit": ${error.message}`);
    throw error;
  }
};

export interface KekRingEnv {
  /** The ring's JSON itself. */
  readonly ROTOR_KEK_RING?: string;
  /** A path to a file holding the ring's JSON (e.g. a mounted secret). */
  readonly ROTOR_KEK_RING_FILE?: string;
}

/**
 * The configured ring, or undefined when none is configured: the caller decides between
 * dev mode (`generateKekRingText`) and refusing to start.
 */
export const loadKekRing = (env: KekRingEnv): KekRing | undefined => {
  const { ROTOR_KEK_RING: text, ROTOR_KEK_RING_FILE: file } = env;
  if (text && file) throw new KekRingError('set ROTOR_KEK_RING or ROTOR_KEK_RING_FILE, not both');
  if (text) return parseKekRing(text);
  if (!file) return undefined;
  let content: string;
  try {
    content = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new KekRingError(`cannot read ROTOR_KEK_RING_FILE ${file}: ${code}`);
  }
  return parseKekRing(content);
};

/** A fresh ring with one primary KEK, `dev-<yyyy-mm-dd>`, and an audit key: dev mode only. */
export const generateKekRingText = (now: Date = new Date()): string => {
  const id = `dev-${now.toISOString().slice(0, 10)}`;
  return JSON.stringify({
    primary: id,
    keys: { [id]: randomBytes(KEK_BYTES).toString('base64') },
    audit: { privateKey: generateAuditPrivateKey() },
  });
};

/**
 * The ring's JSON with an audit key added, for a development ring made before signing; the
 * history up to `legacyUntil` (the store's last position, if any) stays acceptable.
 */
export const withGeneratedAuditKey = (ringText: string, legacyUntil?: string): string => {
  const parsed = JSON.parse(ringText) as Record<string, unknown>;
  return JSON.stringify({
    ...parsed,
    audit: {
      privateKey: generateAuditPrivateKey(),
      ...(legacyUntil === undefined ? {} : { legacyUntil }),
    },
  });
};
