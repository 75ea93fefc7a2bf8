import { hash as digestOf } from 'node:crypto';
import type { EventToAppend } from '../event-store.port';
import type { AuditSigner } from './audit-key';
import { canonicalJson, inCanonicalOrder } from './canonical-json';

/**
 * The audit hash chain (DESIGN §6). Each event's metadata carries `prevHash` (the hash of
 * the event before it in the same stream) and `hash` = SHA-256 hex of the canonical JSON
 * of `{ stream, revision, type, version, data, metadata }`, where `metadata` is
 * everything but `hash` itself (so it includes `prevHash`, which is what links the
 * chain). The stream name and revision are inside the hash, so an event copied to another
 * stream or another place in the same stream no longer matches.
 *
 * Chain versions. v1 (no `chain` field, history written before signing): a plain hash
 * chain, which anyone who can write the store can recompute. v2 (`chain: 2`): the metadata
 * also names the audit key (`auditKey`, inside the hash), and `sig` (outside the hash) is
 * the writer's Ed25519 signature of `signedMessage(hash)`. Without the private audit key
 * a rewritten event cannot carry a valid `sig`.
 */
export const GENESIS_HASH = '0'.repeat(64);
export const SIGNED_CHAIN_VERSION = 2;

/** What a v2 signature signs: the event's hash, under a domain tag of its own. */
export const signedMessage = (hash: string): string => `rotor-chain-v2:${hash}`;

/** Event metadata before chaining: what the command handler knows about the request. */
export interface UnchainedMetadata {
  readonly actor: string;
  readonly requestId: string;
  readonly idempotencyKey?: string;
  /** RFC 3339. */
  readonly occurredAt: string;
  readonly [extra: string]: unknown;
}

export interface UnchainedEvent {
  readonly type: string;
  readonly version: number;
  readonly data: unknown;
  readonly metadata: UnchainedMetadata;
}

interface HashableEvent {
  readonly type: string;
  readonly version: number;
  readonly data: unknown;
  /** With `prevHash`; any `hash` and `sig` are ignored. */
  readonly metadata: { readonly [key: string]: unknown };
}

export function hashEvent(stream: string, revision: number, event: HashableEvent): string {
  const { hash: _ignored, sig: _signature, ...metadata } = event.metadata;
  // Keys written in canonical order, so that an event stored in canonical order is hashed
  // without a copy (canonical-json.ts).
  const canonical = canonicalJson({
    data: event.data,
    metadata,
    revision,
    stream,
    type: event.type,
    version: event.version,
  });
  // One-shot (Node >= 20.12): no Hash object per event, a quarter of the cost of createHash
  // here, for the same SHA-256 of the same UTF-8 bytes.
  return digestOf('sha256', canonical, 'hex');
}

/**
 * Stamps `prevHash` and `hash` on events about to be appended at `firstRevision` (0 for a
 * new stream). `prevHash` is the hash of the stream's last event, `GENESIS_HASH` for a new
 * stream. With `signer`, each event is chain v2 and signed; without, v1 (tests, and
 * processes configured without an audit key, which say so at start). Throws a `TypeError`
 * for data with no JSON form, before anything is written.
 */
export function chainEvents(
  stream: string,
  firstRevision: number,
  prevHash: string,
  events: readonly UnchainedEvent[],
  signer?: AuditSigner,
): EventToAppend[] {
  let previous = prevHash;
  return events.map((event, index) => {
    // Whatever the caller put there would be overwritten anyway: drop it explicitly so
    // the hash never covers a stale value.
    const {
      prevHash: _prev,
      hash: _hash,
      sig: _sig,
      chain: _chain,
      auditKey: _auditKey,
      ...rest
    } = event.metadata;
    // Stored with their keys in canonical order: every later read hashes them without a copy.
    const data = inCanonicalOrder(event.data);
    const metadata = inCanonicalOrder(
      signer
        ? { ...rest, prevHash: previous, chain: SIGNED_CHAIN_VERSION, auditKey: signer.keyId }
        : { ...rest, prevHash: previous },
    );
    const hash = hashEvent(stream, firstRevision + index, { ...event, data, metadata });
    previous = hash;
    return {
      type: event.type,
      version: event.version,
      data,
      metadata: inCanonicalOrder(
        signer
          ? { ...metadata, hash, sig: signer.sign(signedMessage(hash)) }
          : { ...metadata, hash },
      ),
    };
  });
}
