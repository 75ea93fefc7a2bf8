import { chainEvents, GENESIS_HASH, type RecordedEvent } from '@rotor/event-store';
import { FeedChainVerifier } from './chain-verifier';

/** Two chained streams interleaved as the global feed delivers them. */
const stream = (name: string, count: number): RecordedEvent[] =>
  chainEvents(
    name,
    0,
    GENESIS_HASH,
    Array.from({ length: count }, (_, i) => ({
      type: 'Something',
      version: 1,
      data: { n: i },
      metadata: { actor: 'test', requestId: `r${i}`, occurredAt: '2026-01-01T00:00:00.000Z' },
    })),
  ).map((e, revision) => ({
    ...e,
    stream: name,
    revision,
    position: '0',
    recordedAt: '2026-01-01T00:00:00.000Z',
  }));

const interleave = (a: RecordedEvent[], b: RecordedEvent[]) =>
  a.flatMap((e, i) => (b[i] ? [e, b[i]] : [e]));

describe('the one-pass feed chain verifier', () => {
  it('passes intact interleaved streams', () => {
    const verifier = new FeedChainVerifier();
    const checks = interleave(stream('s-a', 4), stream('s-b', 3)).map(
      (e) => verifier.check(e).kind,
    );
    expect(checks.every((k) => k === 'ok')).toBe(true);
  });

  it('catches an altered event in one stream, skips the rest of it, and keeps checking the other', () => {
    const a = stream('s-a', 4);
    a[1] = { ...a[1], data: { n: 99 } };
    const verifier = new FeedChainVerifier();
    const checks = interleave(a, stream('s-b', 4)).map((e) => [
      e.stream,
      e.revision,
      verifier.check(e).kind,
    ]);
    expect(checks.filter(([, , kind]) => kind !== 'ok')).toEqual([
      ['s-a', 1, 'broken'],
      ['s-a', 2, 'skipped'],
      ['s-a', 3, 'skipped'],
    ]);
  });

  it('catches a missing revision', () => {
    const a = stream('s-a', 3);
    const verifier = new FeedChainVerifier();
    expect([a[0], a[2]].map((e) => verifier.check(e))).toEqual([
      { kind: 'ok' },
      { kind: 'broken', stream: 's-a', revision: 2 },
    ]);
  });
});
