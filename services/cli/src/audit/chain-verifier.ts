import {
  comparePositions,
  GENESIS_HASH,
  START,
  type GlobalPosition,
  hashEvent,
  trustedPrefix,
  verifyStream,
  type AuditPolicy,
  type RecordedEvent,
  type TamperReason,
} from '@rotor/event-store';

/**
 * The audit hash chain (DESIGN §6) checked over the whole store in one pass, in either of
 * two orders:
 *
 * - `global`: the global feed, where events of a stream come in revision order, interleaved
 *   with other streams, so each stream keeps a running state (the next revision expected
 *   and the last hash) until the end: memory grows with the number of streams.
 * - `by_stream`: `EventStore.readAllByStream`, each stream whole before the next, so only
 *   the stream being read has a state: constant memory. The global feed's order is still
 *   checked, as each event's position being after its predecessor's: what the global pass
 *   sees as a revision out of order.
 *
 * Each event passes the very checks `verifyStream` makes, in the same order: so a stream
 * is caught here exactly when `verifyStream` would fail on it. What this pass cannot do is
 * name the culprit: the first event that breaks the chain may be innocent (the one before
 * it was rewritten with a fresh hash), and telling a removal from a reordering needs the
 * events after it. So a caught stream is diagnosed by `diagnoseStream`, which runs
 * `verifyStream` itself on that one stream, read whole.
 */
interface ChainState {
  next: number;
  hash: string;
  position: GlobalPosition;
}

const BROKEN = Symbol('broken');

export type ChainCheck =
  /** The event continues its stream's chain. */
  | { readonly kind: 'ok' }
  /** The first event of its stream that does not: the stream is broken from here on. */
  | { readonly kind: 'broken'; readonly stream: string; readonly revision: number }
  /** The stream was already found broken: its later events are not looked at. */
  | { readonly kind: 'skipped' };

const OK: ChainCheck = { kind: 'ok' };
const SKIPPED: ChainCheck = { kind: 'skipped' };

export type FeedOrder = 'global' | 'by_stream';

export class FeedChainVerifier {
  private readonly streams = new Map<string, ChainState | typeof BROKEN>();
  private eventCount = 0;
  private streamsSeen = 0;
  private brokenCount = 0;

  constructor(private readonly order: FeedOrder = 'global') {}

  check(event: RecordedEvent): ChainCheck {
    this.eventCount += 1;
    const { stream, revision } = event;
    let state = this.streams.get(stream);
    if (state === BROKEN) return SKIPPED;
    if (state === undefined) {
      // A new stream in stream order: the one before is complete and never comes back.
      if (this.order === 'by_stream') this.streams.clear();
      state = { next: 0, hash: GENESIS_HASH, position: START };
      this.streams.set(stream, state);
      this.streamsSeen += 1;
    }
    const { prevHash, hash } = event.metadata;
    if (
      revision !== state.next ||
      (this.order === 'by_stream' && !isAfter(event.position, state.position)) ||
      prevHash !== state.hash ||
      typeof hash !== 'string' ||
      hashEvent(stream, revision, event) !== hash
    ) {
      this.streams.set(stream, BROKEN);
      this.brokenCount += 1;
      return { kind: 'broken', stream, revision };
    }
    state.next = revision + 1;
    state.hash = hash;
    state.position = event.position;
    return OK;
  }

  get events(): number {
    return this.eventCount;
  }

  get streamCount(): number {
    return this.streamsSeen;
  }

  get broken(): number {
    return this.brokenCount;
  }
}

/**
 * `position` comes after `previous` in the global feed (START before any). The embedded
 * store's positions are decimal without leading zeros, compared here without parsing: a
 * longer one is larger, then digit by digit. Others go through `comparePositions`.
 */
export function isAfter(position: GlobalPosition, previous: GlobalPosition): boolean {
  if (previous === START) return true;
  if (DECIMAL.test(position) && DECIMAL.test(previous))
    return position.length !== previous.length
      ? position.length > previous.length
      : position > previous;
  return (comparePositions(position, previous) ?? -1) > 0;
}

const DECIMAL = /^[1-9]\d*$/;

/**
 * What `audit verify` names. From the chain: `altered`, `removed`, `reordered`,
 * `duplicated`, `inserted`. From the signatures: `forged` (the chain was recomputed without
 * the audit key), `inserted` (an event with no signature where one is required). From the
 * last anchor: `truncated`, `deleted`, `inserted` (an event before the anchor's position
 * that the anchor does not know), `altered` (the anchored head was rewritten), and, for the
 * store as a whole, `rolled_back`; `anchor_invalid` when the anchor file itself fails.
 */
export type AuditFinding =
  TamperReason | 'forged' | 'truncated' | 'deleted' | 'rolled_back' | 'anchor_invalid';

export interface BrokenStream {
  /** The stream, or `(store)` / `(anchors)` for a finding about the whole log. */
  readonly stream: string;
  /** The first event altered, removed (the first missing revision) or reordered. */
  readonly revision: number;
  readonly reason: AuditFinding;
  readonly message: string;
}

/**
 * Names the first bad event of a stream the feed pass caught, from the whole stream in
 * revision order (`EventStore.read`). Should the stream verify there, its events are
 * intact but came out of revision order in the global feed: their positions were changed.
 */
export const diagnoseStream = (
  stream: string,
  events: readonly RecordedEvent[],
  caughtAt: number,
): BrokenStream => {
  const verdict = verifyStream(events);
  if (!verdict.ok)
    return { stream, revision: verdict.revision, reason: verdict.reason, message: verdict.message };
  return {
    stream,
    revision: caughtAt,
    reason: 'reordered',
    message:
      `revision ${caughtAt} comes out of revision order in the global feed ` +
      '(the chain is intact, the global positions were changed)',
  };
};

export interface VerifyReport {
  readonly ok: boolean;
  readonly events: number;
  readonly streams: number;
  readonly broken: readonly BrokenStream[];
  /** What was not, or could not be, checked: printed, and in the JSON. */
  readonly notes?: readonly string[];
}

export const formatBrokenStream = (broken: BrokenStream): string =>
  broken.stream.startsWith('(')
    ? `BROKEN ${broken.stream}: ${broken.reason} (${broken.message})`
    : `BROKEN ${broken.stream} at revision ${broken.revision}: ${broken.reason} (${broken.message})`;

export const formatVerifySummary = (report: VerifyReport): string =>
  `verified ${report.events.toLocaleString('en-US')} events in ` +
  `${report.streams.toLocaleString('en-US')} streams: ` +
  (report.ok ? 'every hash chain is intact' : `${report.broken.length} broken`);

/**
 * The first event of a stream a service would refuse for its signature (the chain itself
 * being intact): `forged` for a signature that does not verify (the chain recomputed
 * without the key), `inserted` for none where one is required.
 */
export const diagnoseSignatures = (
  stream: string,
  events: readonly RecordedEvent[],
  policy: AuditPolicy,
): BrokenStream | undefined => {
  const { refused } = trustedPrefix(events, policy);
  if (!refused) return undefined;
  switch (refused.reason) {
    case 'bad_signature':
      return {
        stream,
        revision: refused.revision,
        reason: 'forged',
        message:
          `revision ${refused.revision}: its signature does not verify, so its hash was ` +
          'recomputed without the audit key',
      };
    case 'unsigned':
      return {
        stream,
        revision: refused.revision,
        reason: 'inserted',
        message: `revision ${refused.revision} has no signature: written without the audit key`,
      };
    case 'altered':
    case 'out_of_order':
    case 'quarantined':
      return { stream, revision: refused.revision, reason: 'altered', message: refused.message };
    // Not produced by trustedPrefix itself (the guard checks anchors): named as such anyway.
    case 'truncated':
      return { stream, revision: refused.revision, reason: 'truncated', message: refused.message };
    default: {
      const unreachable: never = refused.reason;
      return unreachable;
    }
  }
};
