import type { GlobalPosition, RecordedEvent } from '../event-store.port';
import type { AuditVerifier } from './audit-key';
import { GENESIS_HASH, hashEvent, SIGNED_CHAIN_VERSION, signedMessage } from './hash-chain';

/**
 * What a service may act on (issue 12: services never act on a forged event). Someone who
 * can write the store's files but holds no audit key can edit, insert or reorder events and
 * recompute the plain hashes, but cannot sign: so an event is trusted only when a signed
 * event vouches for it (its own signature, or a later signed event of the same stream whose
 * hash covers it through the `prevHash` links).
 */
export interface AuditPolicy {
  readonly verifier: AuditVerifier;
  /**
   * Unsigned (chain v1) events written before signing was turned on are accepted as legacy
   * at or before this global position (ROTOR_AUDIT_LEGACY_UNTIL), and nowhere else.
   */
  readonly legacyUntil?: GlobalPosition;
}

export type Authenticity = 'signed' | 'legacy' | 'unsigned' | 'bad_signature';

export type RefusalReason =
  | 'altered'
  /** The stream ends before (or differs at) the head the last anchor recorded for it. */
  | 'truncated'
  | 'out_of_order'
  | 'unsigned'
  | 'bad_signature'
  /** A feed event of a stream with an earlier refused event. */
  | 'quarantined';

/** An event a service refused to act on, for one log line and a counter. */
export interface Refusal {
  readonly stream: string;
  readonly revision: number;
  readonly position: GlobalPosition;
  readonly reason: RefusalReason;
  readonly message: string;
}

/** The event's own signature, or its standing as legacy. Does not look at its content. */
export function authenticityOf(event: RecordedEvent, policy: AuditPolicy): Authenticity {
  const { chain, hash, auditKey, sig } = event.metadata;
  if (chain === undefined)
    return isAtOrBefore(event.position, policy.legacyUntil) ? 'legacy' : 'unsigned';
  if (chain !== SIGNED_CHAIN_VERSION || typeof hash !== 'string') return 'bad_signature';
  return policy.verifier.verify(auditKey, signedMessage(hash), sig) ? 'signed' : 'bad_signature';
}

/**
 * `authenticityOf`, with the signature checked off the event loop where the verifier can
 * (`verifyAsync`): for a pass with a signature per stream to check, which can then keep
 * hashing meanwhile. Same rules, same answers.
 */
export function authenticityOfAsync(
  event: RecordedEvent,
  policy: AuditPolicy,
): Authenticity | Promise<Authenticity> {
  const { chain, hash, auditKey, sig } = event.metadata;
  if (chain !== SIGNED_CHAIN_VERSION || typeof hash !== 'string' || !policy.verifier.verifyAsync)
    return authenticityOf(event, policy);
  return policy.verifier
    .verifyAsync(auditKey, signedMessage(hash), sig)
    .then((ok) => (ok ? 'signed' : 'bad_signature'));
}

/**
 * The longest prefix of a stream (as `EventStore.read` returns it) that a service may act
 * on, and the first event refused, if any. Cost: one hash per event and, on an intact
 * stream, ONE signature check (its head vouches for the rest through the links).
 *
 * `fromRevision` for a read of the stream's tail only (a cached fold continues it): its
 * first event's link to the event before is then the caller's to check (stream-fold.ts
 * `continues`), since that event is not in `events`.
 */
export function trustedPrefix(
  events: readonly RecordedEvent[],
  policy: AuditPolicy,
  fromRevision = 0,
): { readonly trusted: RecordedEvent[]; readonly refused?: Refusal } {
  let refused: Refusal | undefined;
  let linked = 0;
  let previous: string | undefined = fromRevision === 0 ? GENESIS_HASH : undefined;
  let signedSeen = false;
  for (const [index, event] of events.entries()) {
    if (event.revision !== fromRevision + index) {
      refused = refusal(event, 'out_of_order', `expected revision ${fromRevision + index} here`);
      break;
    }
    const { prevHash, hash, chain } = event.metadata;
    if (
      (previous !== undefined && prevHash !== previous) ||
      hashEvent(event.stream, event.revision, event) !== hash
    ) {
      refused = refusal(event, 'altered', 'does not match its hash or the one before');
      break;
    }
    // No downgrade: once a stream is signed, an unsigned event after it is a forgery.
    if (chain === undefined && signedSeen) {
      refused = refusal(event, 'unsigned', 'unsigned event after signed ones');
      break;
    }
    signedSeen ||= chain !== undefined;
    previous = hash;
    linked = index + 1;
  }
  let end = linked;
  while (end > 0) {
    const head = events[end - 1];
    const standing = authenticityOf(head, policy);
    if (standing === 'signed' || standing === 'legacy') break;
    // Walking back: the last one refused here is the earliest, and the one to name.
    refused = refusal(
      head,
      standing,
      standing === 'unsigned' ? 'no signature (written without the audit key)' : 'bad signature',
    );
    end -= 1;
  }
  return { trusted: events.slice(0, end), ...(refused ? { refused } : {}) };
}

/**
 * The same rules over a feed (global order, streams interleaved), one event at a time: a
 * feed event is acted on when it arrives, so each one's own signature is checked, and its
 * link to the last accepted event of its stream when that is known (a feed resumed from a
 * checkpoint starts mid-stream).
 */
export class FeedGuard {
  private readonly heads = new Map<string, { revision: number; hash: string }>();

  constructor(private readonly policy: AuditPolicy) {}

  /** undefined: act on it. */
  check(event: RecordedEvent): Refusal | undefined {
    const { prevHash, hash } = event.metadata;
    if (hashEvent(event.stream, event.revision, event) !== hash)
      return refusal(event, 'altered', 'does not match its hash');
    const head = this.heads.get(event.stream);
    if (head && event.revision !== head.revision + 1)
      return refusal(event, 'out_of_order', `expected revision ${head.revision + 1}`);
    const expectedPrev = head ? head.hash : event.revision === 0 ? GENESIS_HASH : undefined;
    if (expectedPrev !== undefined && prevHash !== expectedPrev)
      return refusal(event, 'altered', 'does not follow the last accepted event of its stream');
    const standing = authenticityOf(event, this.policy);
    if (standing !== 'signed' && standing !== 'legacy')
      return refusal(event, standing, standing === 'unsigned' ? 'no signature' : 'bad signature');
    this.heads.set(event.stream, { revision: event.revision, hash });
    return undefined;
  }
}

const refusal = (event: RecordedEvent, reason: RefusalReason, detail: string): Refusal => ({
  stream: event.stream,
  revision: event.revision,
  position: event.position,
  reason,
  message: `refused ${event.stream}@${event.revision} (position ${event.position}): ${reason}, ${detail}`,
});

/**
 * Orders positions of either adapter: the embedded store's decimal positions, and
 * EventStoreDB's "commit:prepare". False when either is missing or they cannot be compared.
 */
export function isAtOrBefore(position: GlobalPosition, limit: GlobalPosition | undefined): boolean {
  const compared = comparePositions(position, limit);
  return compared !== undefined && compared <= 0;
}

export function comparePositions(
  a: GlobalPosition,
  b: GlobalPosition | undefined,
): number | undefined {
  const pa = positionParts(a);
  const pb = b === undefined ? undefined : positionParts(b);
  if (!pa || !pb || pa.length !== pb.length) return undefined;
  for (let i = 0; i < pa.length; i += 1) if (pa[i] !== pb[i]) return pa[i] < pb[i] ? -1 : 1;
  return 0;
}

const positionParts = (position: string): bigint[] | undefined =>
  /^\d+(:\d+)?$/.test(position) ? position.split(':').map((part) => BigInt(part)) : undefined;
