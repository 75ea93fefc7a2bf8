import { waitFor } from '@rotor/testing';
import type { RecordedEvent } from '../event-store.port';
import { AppendNotifier } from './append-notifier';
import { PollingSubscription, type FeedPage, type PolledFeed } from './polling-subscription';

/**
 * A feed in memory, counting its scans: what a subscription costs the store is the number
 * of scans (on the threaded store, each one is a round trip to the worker thread).
 */
const memoryFeed = (pageSize: number) => {
  const events: RecordedEvent[] = [];
  const notifier = new AppendNotifier();
  let scans = 0;
  const feed: PolledFeed = {
    notifier,
    pollIntervalMs: 25,
    scan(after): FeedPage {
      scans += 1;
      const page = events.filter((e) => Number(e.position) > after).slice(0, pageSize);
      const scannedTo = page.length > 0 ? Number(page.at(-1)!.position) : after;
      return { events: page, scannedTo, atEnd: scannedTo >= events.length };
    },
  };
  const append = () => {
    const position = events.length + 1;
    events.push({
      stream: 'rotorEndpoint-we_1',
      revision: position - 1,
      position: String(position),
      type: 'SecretRotated',
      version: 1,
      data: {},
      metadata: { actor: 'a', requestId: 'r', occurredAt: '', prevHash: '', hash: '' },
      recordedAt: '',
    });
    notifier.notify();
  };
  return { feed, append, scans: () => scans };
};

describe('PollingSubscription', () => {
  it('given a background subscriber, when events are appended one by one, then it reads them in a few pages, in order, each once', async () => {
    const { feed, append, scans } = memoryFeed(20);
    const delivered: number[] = [];
    const subscription = new PollingSubscription(feed, 0, {
      onEvent: (event) => {
        delivered.push(event.revision);
      },
      background: { maxLagMs: 50 },
    });
    try {
      await waitFor(() => scans() >= 1, 'the first scan');
      for (let n = 0; n < 100; n += 1) {
        append();
        // A turn of the event loop after each: a live subscriber would scan every time.
        await new Promise((resolve) => setImmediate(resolve));
      }
      await waitFor(() => delivered.length === 100, 'all 100 events');
      expect(delivered).toEqual(Array.from({ length: 100 }, (_, n) => n));
      // Not one scan per append: what gathered is read in pages of 20 (plus the first, empty).
      expect(scans()).toBeLessThanOrEqual(10);
    } finally {
      await subscription.close();
    }
  });

  it('given a live subscriber, when an event is appended in this process, then it scans at once', async () => {
    const { feed, append, scans } = memoryFeed(20);
    const delivered: number[] = [];
    const subscription = new PollingSubscription(feed, 0, {
      onEvent: (event) => {
        delivered.push(event.revision);
      },
    });
    try {
      await waitFor(() => scans() >= 1, 'the first scan');
      for (let n = 0; n < 5; n += 1) {
        append();
        await waitFor(() => delivered.length === n + 1, `event ${n}`);
      }
      // One scan per append (and the first): woken by each, not by the 25 ms poll.
      expect(scans()).toBeGreaterThanOrEqual(6);
      expect(delivered).toEqual([0, 1, 2, 3, 4]);
    } finally {
      await subscription.close();
    }
  });

  it('given a background subscriber waiting, when it is closed, then close returns without waiting out the lag', async () => {
    const { feed, scans } = memoryFeed(20);
    const subscription = new PollingSubscription(feed, 0, {
      onEvent: () => undefined,
      background: { maxLagMs: 60_000 },
    });
    await waitFor(() => scans() >= 1, 'the first scan');
    await subscription.close(); // a test timeout, not a minute, if the pause ignored close
    expect(scans()).toBe(1);
  });
});
