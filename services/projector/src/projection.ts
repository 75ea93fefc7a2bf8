import { DATA_KEY_STREAM_PREFIX } from '@rotor/crypto';
import { endpointIdOfStream, upcast } from '@rotor/domain';
import type { RecordedEvent } from '@rotor/event-store';
import {
  applyToEndpointView,
  applyToKeyRing,
  emptyKeyRing,
  type EndpointView,
  type KeyRingView,
} from '@rotor/projections';

/** What one recorded event changes: the views to write (undefined: unchanged). */
export interface ProjectionChange {
  readonly endpointId: string;
  readonly endpointView?: EndpointView;
  readonly keyRing?: KeyRingView;
  /** The endpoint was deleted: its data key must be shredded (idempotent). */
  readonly shred?: boolean;
}

/** The endpoint a projected event belongs to; undefined for streams the projector ignores. */
export const endpointIdOf = (event: RecordedEvent): string | undefined =>
  endpointIdOfStream(event.stream) ??
  (event.stream.startsWith(DATA_KEY_STREAM_PREFIX)
    ? event.stream.slice(DATA_KEY_STREAM_PREFIX.length)
    : undefined);

/**
 * Maps one recorded event to the view changes it causes, given the views as they are.
 * Pure: the projector service does the reading and writing around it, and the CLI's
 * rebuild folds the same function over the whole feed.
 */
export const project = (
  event: RecordedEvent,
  current: { endpointView?: EndpointView; keyRing?: KeyRingView },
): ProjectionChange | undefined => {
  const endpointId = endpointIdOfStream(event.stream);
  if (endpointId !== undefined) {
    const domainEvent = upcast(event);
    const endpointView = applyToEndpointView(current.endpointView, domainEvent, {
      revision: event.revision,
      occurredAt: event.metadata.occurredAt,
    });
    const keyRing = applyToKeyRing(
      current.keyRing ?? emptyKeyRing(endpointId),
      domainEvent,
      event.revision,
    );
    return {
      endpointId,
      endpointView: endpointView === current.endpointView ? undefined : endpointView,
      keyRing: keyRing === current.keyRing ? undefined : keyRing,
      shred: domainEvent.type === 'EndpointDeleted',
    };
  }
  // Data-key events change no view: wrapped data keys stay in the store (key-ring-view.ts).
  return undefined;
};
