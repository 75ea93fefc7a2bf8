import { UnknownKekError, type RewrapOutcome } from '@rotor/crypto';
import type { RecordedEvent } from '@rotor/event-store';
import { formatRewrapSummary, rewrapAll } from './rewrap';

const event = (stream: string, revision: number, type: string): RecordedEvent => ({
  stream,
  revision,
  type,
  version: 1,
  position: '1',
  data: {},
  metadata: {
    actor: 'a',
    requestId: 'r',
    occurredAt: '2025-01-01T00:00:00.000Z',
    prevHash: 'p',
    hash: 'h',
  },
  recordedAt: '2025-01-01T00:00:00.000Z',
});

async function* feedOf(events: RecordedEvent[]) {
  yield* events;
}

describe('rewrapAll', () => {
  const feed = [
    event('rotorDataKey-we_a', 0, 'DataKeyCreated'),
    event('webhookEndpoint-we_a', 0, 'EndpointRegistered'),
    event('rotorDataKey-we_b', 0, 'DataKeyCreated'),
    event('rotorDataKey-we_a', 1, 'DataKeyRewrapped'),
    event('rotorDataKey-we_c', 0, 'DataKeyCreated'),
    event('webhookEndpoint-we_d', 3, 'EndpointDeleted'),
  ];

  it('re-wraps each data key once (at its first event) and counts the deleted endpoints as shredded', async () => {
    const outcomes: Record<string, RewrapOutcome> = {
      we_a: 'rewrapped',
      we_b: 'already_primary',
      we_c: 'shredded',
    };
    const asked: string[] = [];
    const counts = await rewrapAll(feedOf(feed), {
      rewrap: async (id) => {
        asked.push(id);
        return outcomes[id];
      },
    });
    expect(asked).toEqual(['we_a', 'we_b', 'we_c']);
    // we_c's data key went with its endpoint: counted by its EndpointDeleted, not twice.
    expect(counts).toEqual({ rewrapped: 1, already_primary: 1, shredded: 1, failed: 0 });
    expect(formatRewrapSummary(counts, 'kek-2')).toBe(
      're-wrapped 1 data key(s) under KEK kek-2; 1 already under it, 1 shredded (deleted endpoints), 0 failed',
    );
  });

  it('goes on past a data key it cannot open, and reports it', async () => {
    const failures: string[] = [];
    const counts = await rewrapAll(feedOf(feed), {
      rewrap: async (id) => {
        if (id === 'we_b') throw new UnknownKekError('kek-0');
        return 'rewrapped';
      },
      onFailure: ({ endpointId, message }) => failures.push(`${endpointId}: ${message}`),
    });
    expect(counts).toEqual({ rewrapped: 2, already_primary: 0, shredded: 1, failed: 1 });
    expect(failures).toEqual([
      expect.stringMatching(/^we_b: KEK "kek-0" is not in the configured KEK ring/),
    ]);
  });

  it('stops at any other error: the store is the problem, and a later run resumes', async () => {
    const unavailable = Object.assign(new Error('busy'), { code: 'event_store_unavailable' });
    await expect(
      rewrapAll(feedOf(feed), { rewrap: async () => Promise.reject(unavailable) }),
    ).rejects.toBe(unavailable);
  });
});
