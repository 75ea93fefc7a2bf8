import { SqliteEventStore, START, type RecordedEvent } from '@rotor/event-store';
import { waitFor } from '@rotor/testing';
import { ResilientSubscription } from './resilient-subscription';

const event = (n: number) => ({
  type: 'Happened',
  version: 1,
  data: { n },
  metadata: {
    actor: 'test',
    requestId: `r${n}`,
    occurredAt: '2026-01-01T00:00:00.000Z',
    prevHash: '',
    hash: '',
  },
});

describe('a resilient subscription', () => {
  let store: SqliteEventStore;
  beforeEach(() => (store = new SqliteEventStore(':memory:', { pollIntervalMs: 5 })));
  afterEach(() => store.close());

  it('given a handler that fails once, then it backs off, resumes where its owner says, and reports the restart', async () => {
    await store.append('s-1', [event(1), event(2), event(3)], 'no_stream');
    const handled: number[] = [];
    let lastPosition = START;
    let failOn: number | undefined = 2;
    const starts: string[] = [];
    const failures: unknown[] = [];
    const feed = new ResilientSubscription(store, {
      from: () => lastPosition,
      onStart: () => starts.push(lastPosition),
      onEvent: (recorded: RecordedEvent) => {
        const { n } = recorded.data as { n: number };
        if (n === failOn) {
          failOn = undefined;
          throw new Error('handler failed');
        }
        handled.push(n);
        lastPosition = recorded.position;
      },
      onFailure: (error) => failures.push(error),
    });

    await waitFor(() => handled.length === 3, 'every event handled');
    expect(handled).toEqual([1, 2, 3]);
    expect(starts).toEqual([START, '1']);
    expect(failures).toEqual([new Error('handler failed')]);
    expect(feed.state).toMatchObject({ running: true, restarts: 1, lastError: 'handler failed' });
    await feed.stop();
    expect(feed.signal.aborted).toBe(true);
  });

  it('when stopped, then it ends without a failure', async () => {
    const failures: unknown[] = [];
    const feed = new ResilientSubscription(store, {
      from: () => START,
      onEvent: () => undefined,
      onFailure: (error) => failures.push(error),
    });
    await waitFor(() => feed.state.running, 'the subscription running');
    await feed.stop();
    expect(failures).toEqual([]);
  });
});
