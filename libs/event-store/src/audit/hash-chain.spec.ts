import type { RecordedEvent } from '../event-store.port';
import fc from 'fast-check';
import { canonicalJson, inCanonicalOrder } from './canonical-json';
import { chainEvents, GENESIS_HASH, hashEvent, type UnchainedEvent } from './hash-chain';
import { verifyStream } from './verify-stream';

const STREAM = 'webhookEndpoint-we_0123456789abcdef0123456789abcdef';

const unchained = (n: number): UnchainedEvent => ({
  type: 'SecretRotated',
  version: 1,
  data: { n, nested: { b: 2, a: [1, 'x'] } },
  metadata: { actor: 'key_test', requestId: `req-${n}`, occurredAt: '2025-01-01T00:00:00.000Z' },
});

/** Given a stream of `count` chained events, as the store would give them back. */
const recordedStream = (count: number): RecordedEvent[] =>
  chainEvents(
    STREAM,
    0,
    GENESIS_HASH,
    Array.from({ length: count }, (_, n) => unchained(n)),
  ).map((event, revision) => ({
    ...event,
    stream: STREAM,
    revision,
    position: String(revision + 1),
    recordedAt: '2025-01-01T00:00:01.000Z',
  }));

/** Whether any object in `value`, at any depth, has a key that `test` accepts. */
const hasKey = (value: unknown, test: (key: string) => boolean): boolean =>
  typeof value === 'object' &&
  value !== null &&
  (Array.isArray(value)
    ? value.some((item) => hasKey(item, test))
    : Object.keys(value).some(
        (key) => test(key) || hasKey((value as Record<string, unknown>)[key], test),
      ));

describe('canonicalJson', () => {
  it('sorts keys at every depth and writes no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: 'é' } })).toBe(
      '{"a":{"c":"é","d":[3,{"y":2,"z":1}]},"b":1}',
    );
  });

  it('leaves out undefined properties, as a store round trip does', () => {
    expect(canonicalJson({ a: undefined, b: null })).toBe('{"b":null}');
  });

  it.each([
    ['a BigInt', { n: 1n }],
    ['a non-finite number', { n: Number.NaN }],
  ])('refuses %s instead of hashing what would not be stored', (_, value) => {
    expect(() => canonicalJson(value)).toThrow(TypeError);
  });

  it.each([
    // An object orders array-index keys first, whatever the insertion order.
    ['array-index keys', { 10: 'a', 9: 'b', x: 1, '01': 2 }, '{"01":2,"10":"a","9":"b","x":1}'],
    [
      'a __proto__ key as JSON.parse makes it',
      JSON.parse('{"b":1,"__proto__":{"a":2}}'),
      '{"__proto__":{"a":2},"b":1}',
    ],
    [
      'a toJSON (a Date)',
      { at: new Date('2026-01-01T00:00:00.000Z') },
      '{"at":"2026-01-01T00:00:00.000Z"}',
    ],
    ['undefined and functions in an array', [undefined, () => 1, 2], '[null,null,2]'],
    ['a function property', { f: () => 1, a: 1 }, '{"a":1}'],
    [
      'an instance of a class',
      new (class {
        b = 1;
        a = 2;
      })(),
      '{"a":2,"b":1}',
    ],
    ['-0', { z: -0 }, '{"z":0}'],
    [
      'non-ASCII keys in UTF-16 order',
      { é: 1, z: 2, '\u{1F600}': 3, '\uFFFD': 4 },
      '{"z":2,"é":1,"😀":3,"�":4}',
    ],
  ])('writes %s exactly as the canonical form says', (_, value, expected) => {
    expect(canonicalJson(value)).toBe(expected);
  });

  it('writes any JSON value the same whatever its key order, and stores it in canonical order', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const ordered = inCanonicalOrder(value);
        const canonical = canonicalJson(value);
        expect(canonicalJson(ordered)).toBe(canonical);
        // Keys an object cannot keep in order (array indices, __proto__) stay for the slow path.
        if (!hasKey(value, (key) => /^\d/.test(key) || key === '__proto__'))
          expect(JSON.stringify(ordered)).toBe(canonical);
        // Already in order: kept as it is, no copy.
        expect(inCanonicalOrder(ordered)).toBe(ordered);
      }),
      { numRuns: 500 },
    );
  });

  it('takes an object whose keys are already in order as it is, and copies one whose keys are not', () => {
    const ordered = { a: 1, b: { c: [1, { d: 2, e: 3 }] } };
    expect(inCanonicalOrder(ordered)).toBe(ordered);
    const unordered = { b: 1, a: { d: 2, c: 3 } };
    const copy = inCanonicalOrder(unordered);
    expect(copy).not.toBe(unordered);
    expect(JSON.stringify(copy)).toBe('{"a":{"c":3,"d":2},"b":1}');
    // What the fast path cannot take stays as it was, for the slow path to write.
    const dated = { at: new Date(0) };
    expect(inCanonicalOrder(dated)).toBe(dated);
  });

  it('refuses undefined, which has no JSON form', () => {
    expect(() => canonicalJson(undefined)).toThrow(TypeError);
  });

  it('refuses a circular structure', () => {
    const value: Record<string, unknown> = {};
    value.self = value;
    expect(() => canonicalJson(value)).toThrow(/circular/);
  });
});

describe('chainEvents', () => {
  it('stores data and metadata in canonical key order, hashed as before', () => {
    const [event] = chainEvents('s', 0, GENESIS_HASH, [
      {
        type: 'T',
        version: 1,
        data: { z: 1, a: { y: 2, b: 3 } },
        metadata: { requestId: 'r', actor: 'a', occurredAt: '2026-01-01T00:00:00Z' },
      },
    ]);
    expect(JSON.stringify(event.data)).toBe('{"a":{"b":3,"y":2},"z":1}');
    expect(Object.keys(event.metadata)).toEqual([...Object.keys(event.metadata)].sort());
    expect(hashEvent('s', 0, event)).toBe(event.metadata.hash);
    expect(
      hashEvent('s', 0, { ...event, data: { z: 1, a: { b: 3, y: 2 } } }), // any key order
    ).toBe(event.metadata.hash);
  });

  it('links each event to the one before, from the genesis hash', () => {
    const [first, second] = chainEvents(STREAM, 0, GENESIS_HASH, [unchained(0), unchained(1)]);
    expect(first.metadata.prevHash).toBe(GENESIS_HASH);
    expect(first.metadata.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(second.metadata.prevHash).toBe(first.metadata.hash);
    expect(second.metadata.hash).toBe(hashEvent(STREAM, 1, second));
  });

  it('continues an existing chain at the given revision', () => {
    const [head] = chainEvents(STREAM, 0, GENESIS_HASH, [unchained(0)]);
    const [next] = chainEvents(STREAM, 1, head.metadata.hash, [unchained(1)]);
    const [together] = chainEvents(STREAM, 0, GENESIS_HASH, [unchained(0), unchained(1)]).slice(1);
    expect(next).toEqual(together);
  });

  it('hashes the stream and revision too: the same event elsewhere has another hash', () => {
    const [event] = chainEvents(STREAM, 0, GENESIS_HASH, [unchained(0)]);
    expect(hashEvent(`${STREAM}x`, 0, event)).not.toBe(event.metadata.hash);
    expect(hashEvent(STREAM, 1, event)).not.toBe(event.metadata.hash);
  });
});

describe('verifyStream', () => {
  it('given an untouched stream, then it is ok, with the head hash', () => {
    const events = recordedStream(4);
    expect(verifyStream(events)).toEqual({
      ok: true,
      count: 4,
      headHash: events[3].metadata.hash,
    });
    expect(verifyStream([])).toEqual({ ok: true, count: 0, headHash: GENESIS_HASH });
  });

  it('given an altered payload, then it names that event as altered', () => {
    const events = recordedStream(4);
    events[2] = { ...events[2], data: { n: 2, nested: { b: 3, a: [1, 'x'] } } };
    expect(verifyStream(events)).toMatchObject({ ok: false, revision: 2, reason: 'altered' });
  });

  it('given altered metadata (who did it), then it names that event as altered', () => {
    const events = recordedStream(3);
    events[1] = { ...events[1], metadata: { ...events[1].metadata, actor: 'someone-else' } };
    expect(verifyStream(events)).toMatchObject({ ok: false, revision: 1, reason: 'altered' });
  });

  it('given an event altered and its hash recomputed, then the next link names it', () => {
    const events = recordedStream(4);
    const { hash: _old, ...metadata } = events[1].metadata;
    const data = { n: 1, nested: { b: 99, a: [] } };
    const hash = hashEvent(STREAM, 1, { ...events[1], data, metadata });
    events[1] = { ...events[1], data, metadata: { ...metadata, hash } };
    expect(verifyStream(events)).toMatchObject({ ok: false, revision: 1, reason: 'altered' });
  });

  it('given a removed event, then it names the missing revision', () => {
    const events = recordedStream(4);
    events.splice(1, 1);
    expect(verifyStream(events)).toMatchObject({ ok: false, revision: 1, reason: 'removed' });
  });

  it('given the first event removed, then it names revision 0', () => {
    expect(verifyStream(recordedStream(3).slice(1))).toMatchObject({
      ok: false,
      revision: 0,
      reason: 'removed',
    });
  });

  it('given a removed event and the rest renumbered, then it names the gap as removed', () => {
    const events = recordedStream(4);
    events.splice(1, 1);
    const renumbered = events.map((event, revision) => ({ ...event, revision }));
    expect(verifyStream(renumbered)).toMatchObject({ ok: false, revision: 1, reason: 'removed' });
  });

  it('given two events swapped, then it names the first out of place as reordered', () => {
    const events = recordedStream(4);
    [events[1], events[2]] = [events[2], events[1]];
    expect(verifyStream(events)).toMatchObject({ ok: false, revision: 2, reason: 'reordered' });
  });

  it('given two events swapped and renumbered, then it names revision 1 as reordered', () => {
    const events = recordedStream(4);
    [events[1], events[2]] = [
      { ...events[2], revision: 1 },
      { ...events[1], revision: 2 },
    ];
    expect(verifyStream(events)).toMatchObject({ ok: false, revision: 1, reason: 'reordered' });
  });

  it('given a duplicated event, then it names it', () => {
    const events = recordedStream(3);
    events.splice(2, 0, events[1]);
    expect(verifyStream(events)).toMatchObject({ ok: false, revision: 1, reason: 'duplicated' });
  });

  it('explains the failure in a message a human can act on', () => {
    const events = recordedStream(3);
    events.splice(1, 1);
    const result = verifyStream(events);
    expect(result.ok || result.message).toBe('revision 1 is missing');
  });
});
