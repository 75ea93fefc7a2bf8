import fc from 'fast-check';
import {
  chainEvents,
  GENESIS_HASH,
  hashEvent,
  verifyStream,
  type RecordedEvent,
} from '@rotor/event-store';
import {
  diagnoseStream,
  FeedChainVerifier,
  formatBrokenStream,
  isAfter,
  type FeedOrder,
  formatVerifySummary,
} from './chain-verifier';

/** A stream of `count` chained events, as the store gives them back. */
const recordedStream = (stream: string, count: number): RecordedEvent[] =>
  chainEvents(
    stream,
    0,
    GENESIS_HASH,
    Array.from({ length: count }, (_, n) => ({
      type: 'SecretRotated',
      version: 1,
      data: { n, stream },
      metadata: {
        actor: 'ak_0123456789abcdef',
        requestId: `r${n}`,
        occurredAt: '2025-01-01T00:00:00.000Z',
      },
    })),
  ).map((event, revision) => ({
    ...event,
    stream,
    revision,
    position: '0',
    recordedAt: '2025-01-01T00:00:00.000Z',
  }));

/** The global feed: streams interleaved, each in its own order, positions renumbered. */
const interleave = (streams: RecordedEvent[][], picks: number[]): RecordedEvent[] => {
  const queues = streams.map((events) => [...events]);
  const feed: RecordedEvent[] = [];
  let pick = 0;
  while (queues.some((queue) => queue.length > 0)) {
    const open = queues.filter((queue) => queue.length > 0);
    feed.push(open[(picks[pick++ % Math.max(picks.length, 1)] ?? 0) % open.length].shift()!);
  }
  return feed.map((event, index) => ({ ...event, position: String(index + 1) }));
};

const verifyFeed = (feed: RecordedEvent[], order: FeedOrder = 'global') => {
  const verifier = new FeedChainVerifier(order);
  const caught = new Map<string, number>();
  for (const event of feed) {
    const check = verifier.check(event);
    if (check.kind === 'broken') caught.set(check.stream, check.revision);
  }
  return { verifier, caught };
};

type Tamper = (events: RecordedEvent[]) => RecordedEvent[];

const at = (events: RecordedEvent[], index: number) => Math.abs(index) % events.length;
const TAMPERS: Record<string, (i: number, j: number) => Tamper> = {
  alterData: (i) => (events) =>
    events.map((e, k) => (k === at(events, i) ? { ...e, data: { forged: true } } : e)),
  alterActor: (i) => (events) =>
    events.map((e, k) =>
      k === at(events, i) ? { ...e, metadata: { ...e.metadata, actor: 'someone-else' } } : e,
    ),
  rehash: (i) => (events) =>
    events.map((e, k) => {
      if (k !== at(events, i)) return e;
      const forged = { ...e, data: { forged: true } };
      return {
        ...forged,
        metadata: { ...e.metadata, hash: hashEvent(e.stream, e.revision, forged) },
      };
    }),
  remove: (i) => (events) => events.filter((_, k) => k !== at(events, i)),
  removeAndRenumber: (i) => (events) =>
    events.filter((_, k) => k !== at(events, i)).map((e, revision) => ({ ...e, revision })),
  swapContents: (i, j) => (events) => {
    const [x, y] = [at(events, i), at(events, j)];
    return events.map((e, k) =>
      k === x
        ? { ...events[y], revision: e.revision }
        : k === y
          ? { ...events[x], revision: e.revision }
          : e,
    );
  },
  swapRows: (i, j) => (events) => {
    const copy = [...events];
    const [x, y] = [at(events, i), at(events, j)];
    [copy[x], copy[y]] = [copy[y], copy[x]];
    return copy;
  },
  duplicate: (i) => (events) => [
    ...events.slice(0, at(events, i) + 1),
    ...events.slice(at(events, i)),
  ],
  truncateTail: (i) => (events) => events.slice(0, at(events, i) + 1),
};

/** One to five streams `s0`, `s1`…, of 1 to 6 events each, some tampered with (TAMPERS). */
const tamperedStreams = () =>
  fc
    .array(
      fc.record({
        length: fc.integer({ min: 1, max: 6 }),
        tamper: fc.option(
          fc.record({
            name: fc.constantFrom(...Object.keys(TAMPERS)),
            i: fc.nat(10),
            j: fc.nat(10),
          }),
        ),
      }),
      { minLength: 1, maxLength: 5 },
    )
    .map((specs) =>
      specs.map(({ length, tamper }, n) => {
        const events = recordedStream(`s${n}`, length);
        return tamper ? TAMPERS[tamper.name](tamper.i, tamper.j)(events) : events;
      }),
    );

describe('FeedChainVerifier', () => {
  it('given intact streams interleaved, then every event is ok, with one state per stream', () => {
    const feed = interleave(
      [recordedStream('a', 4), recordedStream('b', 3), recordedStream('c', 1)],
      [0, 1, 2, 1],
    );
    const { verifier, caught } = verifyFeed(feed);
    expect(caught.size).toBe(0);
    expect([verifier.events, verifier.streamCount, verifier.broken]).toEqual([8, 3, 0]);
  });

  it('given a broken stream, then it is reported once and its later events are skipped', () => {
    const events = TAMPERS.alterData(1, 0)(recordedStream('a', 4));
    const verifier = new FeedChainVerifier();
    expect(events.map((event) => verifier.check(event).kind)).toEqual([
      'ok',
      'broken',
      'skipped',
      'skipped',
    ]);
    expect(verifier.broken).toBe(1);
  });

  it('given an event rewritten with a fresh hash, then the feed catches the next event and the diagnosis names the rewritten one', () => {
    const events = TAMPERS.rehash(1, 0)(recordedStream('a', 4));
    const { caught } = verifyFeed(events);
    expect(caught.get('a')).toBe(2);
    expect(diagnoseStream('a', events, 2)).toMatchObject({ revision: 1, reason: 'altered' });
  });

  it('given a stream intact in revision order but out of order in the feed, then it is named reordered', () => {
    const events = recordedStream('a', 3);
    const feed = [events[0], events[2], events[1]];
    const { caught } = verifyFeed(feed);
    expect(caught.get('a')).toBe(2);
    expect(diagnoseStream('a', events, 2)).toEqual({
      stream: 'a',
      revision: 2,
      reason: 'reordered',
      message: expect.stringMatching(/out of revision order in the global feed/),
    });
  });

  it('catches exactly the streams verifyStream rejects, and the diagnosis is verifyStream own verdict', () => {
    fc.assert(
      fc.property(tamperedStreams(), fc.array(fc.nat(10), { maxLength: 40 }), (streams, picks) => {
        const { caught } = verifyFeed(interleave(streams, picks));
        streams.forEach((events, n) => {
          const verdict = verifyStream(events);
          expect(caught.has(`s${n}`)).toBe(!verdict.ok);
          if (!verdict.ok) {
            const { revision, reason, message } = verdict;
            expect(diagnoseStream(`s${n}`, events, caught.get(`s${n}`)!)).toEqual({
              stream: `s${n}`,
              revision,
              reason,
              message,
            });
          }
        });
      }),
      { numRuns: 300 },
    );
  });
});

/** The same events as `EventStore.readAllByStream` gives them: by stream, then revision. */
const byStream = (feed: RecordedEvent[]): RecordedEvent[] =>
  [...feed].sort((x, y) =>
    x.stream !== y.stream ? (x.stream < y.stream ? -1 : 1) : x.revision - y.revision,
  );

describe('FeedChainVerifier, stream by stream', () => {
  it('given intact streams, then every event is ok, counting every stream', () => {
    const feed = interleave(
      [recordedStream('a', 4), recordedStream('b', 3), recordedStream('c', 1)],
      [0, 1, 2, 1],
    );
    const { verifier, caught } = verifyFeed(byStream(feed), 'by_stream');
    expect(caught.size).toBe(0);
    expect([verifier.events, verifier.streamCount, verifier.broken]).toEqual([8, 3, 0]);
  });

  it('given events whose global positions were swapped, then the stream is caught where its positions go back', () => {
    const [first, second, third] = recordedStream('a', 3);
    const feed = [
      { ...first, position: '1' },
      { ...second, position: '30' },
      { ...third, position: '4' },
    ];
    expect(verifyFeed(feed, 'by_stream').caught.get('a')).toBe(2);
  });

  it('catches exactly the streams the global pass catches', () => {
    fc.assert(
      fc.property(tamperedStreams(), fc.array(fc.nat(10), { maxLength: 40 }), (streams, picks) => {
        const feed = interleave(streams, picks);
        const global = verifyFeed(feed).caught;
        const streamByStream = verifyFeed(byStream(feed), 'by_stream').caught;
        expect([...streamByStream.keys()].sort()).toEqual([...global.keys()].sort());
      }),
      { numRuns: 300 },
    );
  });
});

describe('isAfter', () => {
  it.each([
    ['2', 'start', true],
    ['10', '9', true],
    ['9', '10', false],
    ['12', '12', false],
    ['5:5', '5:4', true],
    ['5:4', '5:5', false],
  ])('%s after %s: %s', (position, previous, expected) => {
    expect(isAfter(position, previous)).toBe(expected);
  });
});

describe('verify report formatting', () => {
  it('names the stream, the revision, the reason and why', () => {
    expect(
      formatBrokenStream({
        stream: 'webhookEndpoint-we_1',
        revision: 2,
        reason: 'removed',
        message: 'revision 2 is missing',
      }),
    ).toBe('BROKEN webhookEndpoint-we_1 at revision 2: removed (revision 2 is missing)');
    expect(formatVerifySummary({ ok: true, events: 12345, streams: 10, broken: [] })).toBe(
      'verified 12,345 events in 10 streams: every hash chain is intact',
    );
  });
});
