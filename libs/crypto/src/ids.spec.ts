import { ENDPOINT_ID_PATTERN, KEY_ID_PATTERN } from '@rotor/domain';
import fc from 'fast-check';
import {
  endpointIdForIdempotencyKey,
  newEndpointId,
  newKeyId,
  ulidGenerator,
  ulidTime,
} from './ids';

const MAX_TIME = 2 ** 48 - 1;

describe('newEndpointId', () => {
  it('when called many times, then each id matches the domain pattern and is unique', () => {
    const ids = Array.from({ length: 1000 }, newEndpointId);

    ids.forEach((id) => expect(id).toMatch(ENDPOINT_ID_PATTERN));
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('newKeyId', () => {
  it('when called many times, then each id matches the domain pattern, is unique and sorted', () => {
    const ids = Array.from({ length: 1000 }, () => newKeyId());

    ids.forEach((id) => expect(id).toMatch(KEY_ID_PATTERN));
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
  });

  it('when called without a time, then the id carries the current time', () => {
    const before = Date.now();
    const id = newKeyId();
    const after = Date.now();

    expect(ulidTime(id.slice(4))).toBeGreaterThanOrEqual(before);
    expect(ulidTime(id.slice(4))).toBeLessThanOrEqual(after);
  });
});

describe('ulidGenerator', () => {
  it('given any time, when a ULID is made, then it fits the key id pattern and encodes the time', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX_TIME }), (now) => {
        const ulid = ulidGenerator()(now);

        expect(`key_${ulid}`).toMatch(KEY_ID_PATTERN);
        expect(ulidTime(ulid)).toBe(now);
      }),
    );
  });

  it('given a known time and random bytes, when a ULID is made, then it is the spec encoding', () => {
    // The ulid spec's example time, 1469918176385 ms, encodes as 01ARYZ6S41.
    const ulid = ulidGenerator(() => Buffer.alloc(10, 0xff))(1469918176385);

    expect(ulid).toBe('01ARYZ6S41ZZZZZZZZZZZZZZZZ');
  });

  it('given non-decreasing times, when ULIDs are made, then they sort in creation order', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: MAX_TIME - 10_000 }),
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 2, maxLength: 200 }),
        (start, steps) => {
          const next = ulidGenerator();
          let now = start;
          const ulids = steps.map((step) => next((now += step)));

          expect([...ulids].sort()).toEqual(ulids);
          expect(new Set(ulids).size).toBe(ulids.length);
        },
      ),
    );
  });

  it('given the same millisecond, when ULIDs are made, then the random part is incremented', () => {
    const next = ulidGenerator(() => Buffer.from('00000000ff00000000ff', 'hex'));

    const first = next(1000);
    const second = next(1000);

    expect(first.slice(0, 10)).toBe(second.slice(0, 10));
    expect(first.slice(-2)).toBe('7Z');
    expect(second.slice(-2)).toBe('80');
  });

  it('given a clock that steps back, when a ULID is made, then it still sorts after the last', () => {
    const next = ulidGenerator();
    const first = next(5000);

    expect(next(4000) > first).toBe(true);
  });

  it.each([-1, 1.5, 2 ** 48])('given the time %p, when a ULID is made, then it throws', (now) => {
    expect(() => ulidGenerator()(now)).toThrow(RangeError);
  });
});

describe('endpointIdForIdempotencyKey', () => {
  it('gives every retry the same well-formed id, and any other tenant, actor or key another', () => {
    const id = endpointIdForIdempotencyKey('acme', 'key_a', 'K');
    expect(id).toMatch(/^we_[0-9a-f]{32}$/);
    expect(endpointIdForIdempotencyKey('acme', 'key_a', 'K')).toBe(id);
    const others = [
      endpointIdForIdempotencyKey('acme2', 'key_a', 'K'),
      endpointIdForIdempotencyKey('acme', 'key_b', 'K'),
      endpointIdForIdempotencyKey('acme', 'key_a', 'K2'),
      // Concatenation would make these two the same: the encoding must not.
      endpointIdForIdempotencyKey('acme', 'key_a,K', ''),
      endpointIdForIdempotencyKey('acme', 'key_', 'a,K'),
    ];
    expect(new Set([id, ...others]).size).toBe(others.length + 1);
  });
});
