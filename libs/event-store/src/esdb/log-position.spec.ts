import { START } from '../event-store.port';
import { compareLogPositions, formatLogPosition, parseLogPosition } from './log-position';

describe('EventStoreDB log positions as checkpoints', () => {
  it('round-trips a position through its string form, beyond 2^53', () => {
    const position = { commit: 2n ** 60n + 7n, prepare: 2n ** 60n + 3n };
    expect(formatLogPosition(position)).toBe('1152921504606846983:1152921504606846979');
    expect(parseLogPosition(formatLogPosition(position))).toEqual(position);
  });

  it('reads START as "before the first event"', () => {
    expect(parseLogPosition(START)).toBeUndefined();
  });

  it.each(['12', '1:2:3', 'a:b', '-1:2', ''])('refuses %p', (text) => {
    expect(() => parseLogPosition(text)).toThrow(RangeError);
  });

  it('orders by commit, then prepare', () => {
    const at = (commit: bigint, prepare: bigint) => ({ commit, prepare });
    expect(compareLogPositions(at(1n, 9n), at(2n, 0n))).toBe(-1);
    expect(compareLogPositions(at(2n, 5n), at(2n, 4n))).toBe(1);
    expect(compareLogPositions(at(2n, 5n), at(2n, 5n))).toBe(0);
  });
});
