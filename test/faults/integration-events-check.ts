import { INTEGRATION_EVENTS } from '@rotor/contracts';
import { ENDPOINT_STREAM_CATEGORY } from '@rotor/domain';
import type { RecordedEvent } from '@rotor/event-store';
import { integrationEventId } from '@rotor/projections';
import { waitFor } from '@rotor/testing';
import { AckPolicy, connect, DeliverPolicy } from 'nats';

/** The Nats-Msg-Id of every message ROTOR_EVENTS holds, in stream order. */
export async function publishedEventIds(natsUrl: string): Promise<string[]> {
  const nc = await connect({ servers: natsUrl, name: 'fault-tier-integration-events' });
  try {
    const jsm = await nc.jetstreamManager();
    const name = `fault-check-${Date.now()}`;
    await jsm.consumers.add(INTEGRATION_EVENTS.stream, {
      name,
      deliver_policy: DeliverPolicy.All,
      ack_policy: AckPolicy.None,
    });
    const consumer = await nc.jetstream().consumers.get(INTEGRATION_EVENTS.stream, name);
    const pending = (await consumer.info()).num_pending;
    const ids: string[] = [];
    while (ids.length < pending) {
      const batch = await consumer.fetch({ max_messages: pending - ids.length, expires: 5_000 });
      for await (const message of batch) ids.push(message.headers?.get('Nats-Msg-Id') ?? '(none)');
    }
    await jsm.consumers.delete(INTEGRATION_EVENTS.stream, name);
    return ids;
  } finally {
    await nc.close();
  }
}

/** What the platform should have been told: one id per endpoint event, in store order. */
export const expectedEventIds = (feed: readonly RecordedEvent[]): string[] =>
  feed
    .filter((event) => event.stream.startsWith(`${ENDPOINT_STREAM_CATEGORY}-`))
    .map(integrationEventId);

/**
 * Waits (bounded) until the stream holds as many messages as the store has endpoint events,
 * then names every difference: missing, duplicated or out of order.
 */
export async function integrationEventProblems(
  natsUrl: string,
  feed: readonly RecordedEvent[],
  timeoutMs: number,
): Promise<string[]> {
  const expected = expectedEventIds(feed);
  let published: string[] = [];
  await waitFor(
    async () => (published = await publishedEventIds(natsUrl)).length >= expected.length,
    `${expected.length} integration events`,
    timeoutMs,
    500,
  ).catch(() => undefined);
  const problems: string[] = [];
  const seen = new Map<string, number>();
  for (const id of published) seen.set(id, (seen.get(id) ?? 0) + 1);
  for (const [id, count] of seen) if (count > 1) problems.push(`${id} published ${count} times`);
  const publishedSet = new Set(published);
  for (const id of expected) if (!publishedSet.has(id)) problems.push(`${id} never published`);
  const unique = [...new Set(published)];
  if (problems.length === 0 && unique.join('\n') !== expected.join('\n'))
    problems.push('published out of store order');
  return problems;
}
