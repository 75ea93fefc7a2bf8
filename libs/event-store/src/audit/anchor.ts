import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { START, type GlobalPosition, type RecordedEvent } from '../event-store.port';
import type { AuditSigner, AuditVerifier } from './audit-key';
import { canonicalJson } from './canonical-json';
import { GENESIS_HASH } from './hash-chain';

/**
 * Anchors (DESIGN §6): a hash chain cannot see a tail cut off, a stream removed or the
 * whole store rolled back, because what is left is still a valid chain. So the writer that
 * holds the audit key periodically signs a checkpoint of the whole log, the global
 * position, the number of streams and events, and the Merkle root over every stream's head,
 * and appends it to a file OUTSIDE the store's directory. `audit verify` compares the store
 * with the last anchor.
 *
 * The anchor file is JSON lines, one `AnchorRecord` each, each line chained to the one
 * before (`prev`), so a line cannot be dropped or reordered unnoticed. The heads themselves
 * (stream, revision, hash) are in `heads/<root>.json` next to it, checked against the root,
 * so `audit verify` can name the stream that was cut or removed. Only the newest anchor's
 * heads are kept; older lines stay as a signed record of the log's growth.
 */
export interface StreamHead {
  readonly stream: string;
  readonly revision: number;
  readonly hash: string;
}

export interface AnchorRecord {
  readonly v: 1;
  /** The global position the heads were taken at: every event up to it, none after. */
  readonly position: GlobalPosition;
  readonly streams: number;
  /** Events in the streams that exist (a shredded data-key stream no longer counts). */
  readonly events: number;
  readonly root: string;
  readonly takenAt: string;
  /** SHA-256 hex of the previous line (GENESIS_HASH for the first). */
  readonly prev: string;
  readonly auditKey: string;
  readonly sig: string;
}

const EMPTY_ROOT = sha256('rotor-anchor-empty');

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Merkle root over the heads sorted by stream name; an odd node is carried up as is. */
export function headsRoot(heads: readonly StreamHead[]): string {
  const sorted = [...heads].sort((a, b) =>
    a.stream < b.stream ? -1 : a.stream > b.stream ? 1 : 0,
  );
  let level = sorted.map((h) => sha256(`leaf:${canonicalJson([h.stream, h.revision, h.hash])}`));
  if (level.length === 0) return EMPTY_ROOT;
  while (level.length > 1) {
    const next: string[] = [];
    for (let i = 0; i < level.length; i += 2)
      next.push(i + 1 < level.length ? sha256(`node:${level[i]}${level[i + 1]}`) : level[i]);
    level = next;
  }
  return level[0];
}

/** Every stream's head as the feed went by: what an anchor is taken of. */
export class HeadTracker {
  private readonly heads = new Map<string, { revision: number; hash: string }>();
  private lastPosition: GlobalPosition = START;

  apply(event: RecordedEvent): void {
    this.heads.set(event.stream, { revision: event.revision, hash: event.metadata.hash });
    this.lastPosition = event.position;
  }

  /** A stream deleted on purpose (crypto-shredding) leaves the anchor. */
  drop(stream: string): void {
    this.heads.delete(stream);
  }

  get position(): GlobalPosition {
    return this.lastPosition;
  }

  snapshot(): StreamHead[] {
    return [...this.heads].map(([stream, head]) => ({ stream, ...head }));
  }
}

const anchorMessage = (record: Omit<AnchorRecord, 'sig'>): string =>
  `rotor-anchor-v1:${canonicalJson(record)}`;

export const verifyAnchorSignature = (record: AnchorRecord, verifier: AuditVerifier): boolean => {
  const { sig, ...rest } = record;
  return verifier.verify(rest.auditKey, anchorMessage(rest), sig);
};

export const headsFileOf = (anchorFile: string, root: string): string =>
  join(dirname(anchorFile), 'heads', `${root}.json`);

/**
 * Appends a signed anchor of `heads` at `position`, durably (fsync), heads file first so a
 * line never names heads that are not on disk. Synchronous: it runs at shutdown too.
 */
export function appendAnchor(
  anchorFile: string,
  position: GlobalPosition,
  heads: readonly StreamHead[],
  signer: AuditSigner,
  now: Date,
): AnchorRecord {
  const root = headsRoot(heads);
  const headsFile = headsFileOf(anchorFile, root);
  mkdirSync(dirname(headsFile), { recursive: true });
  if (!existsSync(headsFile)) {
    const sorted = [...heads].sort((a, b) => (a.stream < b.stream ? -1 : 1));
    writeDurably(`${headsFile}.tmp`, JSON.stringify(sorted), 'w');
    renameSync(`${headsFile}.tmp`, headsFile);
  }
  const lines = readAnchorLines(anchorFile);
  const fields: Omit<AnchorRecord, 'sig'> = {
    v: 1,
    position,
    streams: heads.length,
    events: heads.reduce((sum, head) => sum + head.revision + 1, 0),
    root,
    takenAt: now.toISOString(),
    prev: lines.length === 0 ? GENESIS_HASH : sha256(lines[lines.length - 1]),
    auditKey: signer.keyId,
  };
  const record: AnchorRecord = { ...fields, sig: signer.sign(anchorMessage(fields)) };
  writeDurably(anchorFile, `${JSON.stringify(record)}\n`, 'a');
  for (const name of readdirSync(dirname(headsFile)))
    if (name !== `${root}.json`) rmSync(join(dirname(headsFile), name), { force: true });
  return record;
}

function writeDurably(file: string, text: string, flags: 'a' | 'w'): void {
  const fd = openSync(file, flags, 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

const readAnchorLines = (anchorFile: string): string[] =>
  existsSync(anchorFile)
    ? readFileSync(anchorFile, 'utf8')
        .split('\n')
        .filter((line) => line.length > 0)
    : [];

export type AnchorFileCheck =
  | { readonly kind: 'none' }
  | { readonly kind: 'broken'; readonly line: number; readonly message: string }
  | {
      readonly kind: 'ok';
      readonly anchors: number;
      readonly last: AnchorRecord;
      /** undefined when the heads file is gone: only the totals can be compared. */
      readonly heads?: ReadonlyMap<string, StreamHead>;
    };

/** Reads the anchor file and checks every line's signature and link, and the last heads. */
export function readAnchors(anchorFile: string, verifier: AuditVerifier): AnchorFileCheck {
  const lines = readAnchorLines(anchorFile);
  if (lines.length === 0) return { kind: 'none' };
  let prev = GENESIS_HASH;
  let last: AnchorRecord | undefined;
  for (const [index, line] of lines.entries()) {
    let record: AnchorRecord;
    try {
      record = JSON.parse(line) as AnchorRecord;
    } catch {
      return { kind: 'broken', line: index + 1, message: 'not JSON' };
    }
    if (record.prev !== prev)
      return { kind: 'broken', line: index + 1, message: 'does not follow the line before' };
    if (!verifyAnchorSignature(record, verifier))
      return { kind: 'broken', line: index + 1, message: 'bad signature' };
    prev = sha256(line);
    last = record;
  }
  const headsFile = headsFileOf(anchorFile, last!.root);
  if (!existsSync(headsFile)) return { kind: 'ok', anchors: lines.length, last: last! };
  const heads = JSON.parse(readFileSync(headsFile, 'utf8')) as StreamHead[];
  if (headsRoot(heads) !== last!.root)
    return {
      kind: 'broken',
      line: lines.length,
      message: 'its heads file does not match its root',
    };
  return {
    kind: 'ok',
    anchors: lines.length,
    last: last!,
    heads: new Map(heads.map((head) => [head.stream, head])),
  };
}
