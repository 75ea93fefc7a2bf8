import type { EventToAppend, ExpectedRevision, StreamFilter } from './event-store.port';

/**
 * Checks every adapter applies before it writes, so they refuse the same inputs with the
 * same errors (the contract suite holds them to it).
 */
export function assertAppendable(
  stream: string,
  events: readonly unknown[],
  expected: ExpectedRevision,
): void {
  if (typeof stream !== 'string' || stream.length === 0)
    throw new RangeError('a stream name must be a non-empty string');
  if (events.length === 0)
    // Nothing to write means no revision to check it against: a caller with nothing to
    // append should not call append (the command handler does not).
    throw new RangeError(`append to ${stream}: no events`);
  if (expected !== 'no_stream' && !(Number.isSafeInteger(expected) && expected >= 0))
    throw new RangeError(`append to ${stream}: invalid expected revision ${String(expected)}`);
}

/** `JSON.stringify` that refuses what it would silently drop or cannot write. */
export function toJsonText(value: unknown, what: string): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    throw new TypeError(`${what} cannot be stored as JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (text === undefined) throw new TypeError(`${what} cannot be stored as JSON: no JSON form`);
  return text;
}

/** An event as a row of the embedded store holds it: data and metadata as JSON text. */
export interface SerializedEvent {
  readonly type: string;
  readonly version: number;
  readonly data: string;
  readonly metadata: string;
}

/**
 * The batch as rows, all or none: an event that cannot be stored throws before anything is
 * written. Done where the events are made, so only text crosses to the store's thread.
 */
export const serializeEvents = (
  stream: string,
  events: readonly EventToAppend[],
): SerializedEvent[] =>
  events.map((event, index) => {
    const what = `event ${index} (${event.type}) of the batch for ${stream}`;
    return {
      type: event.type,
      version: event.version,
      data: toJsonText(event.data, `the data of ${what}`),
      metadata: toJsonText(event.metadata, `the metadata of ${what}`),
    };
  });

/** A filter must name at least one prefix: an empty list would match nothing, silently. */
export function assertFilter(filter: StreamFilter | undefined): void {
  if (filter === undefined) return;
  const { streamPrefixes } = filter;
  if (
    !Array.isArray(streamPrefixes) ||
    streamPrefixes.length === 0 ||
    !streamPrefixes.every((prefix) => typeof prefix === 'string' && prefix.length > 0)
  )
    throw new RangeError('a stream filter needs at least one non-empty prefix');
}

export const matchesFilter = (stream: string, filter: StreamFilter | undefined): boolean =>
  filter === undefined || filter.streamPrefixes.some((prefix) => stream.startsWith(prefix));
