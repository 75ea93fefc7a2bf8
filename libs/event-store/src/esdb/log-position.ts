import { START, type GlobalPosition } from '../event-store.port';

/**
 * EventStoreDB's position in its transaction log, as the client gives it. Checkpoints are
 * strings ("commit:prepare", both decimal), so they fit anywhere a checkpoint is stored.
 * Ordered by commit, then prepare: several events written together share a commit.
 */
export interface LogPosition {
  readonly commit: bigint;
  readonly prepare: bigint;
}

export const formatLogPosition = (position: LogPosition): GlobalPosition =>
  `${position.commit}:${position.prepare}`;

/** `undefined` for `START`: before the first event. */
export function parseLogPosition(position: GlobalPosition): LogPosition | undefined {
  if (position === START) return undefined;
  const match = /^(\d+):(\d+)$/.exec(position);
  if (!match) throw new RangeError(`not an EventStoreDB position: ${position}`);
  return { commit: BigInt(match[1]), prepare: BigInt(match[2]) };
}

export function compareLogPositions(a: LogPosition, b: LogPosition): number {
  if (a.commit !== b.commit) return a.commit < b.commit ? -1 : 1;
  if (a.prepare !== b.prepare) return a.prepare < b.prepare ? -1 : 1;
  return 0;
}
