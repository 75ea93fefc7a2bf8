/**
 * The data-key stream of an endpoint (DESIGN §2): `rotorDataKey-<endpointId>`, in the same
 * store as the endpoint's own stream but apart from it, so deleting it destroys the
 * endpoint's data key (crypto-shredding) while the endpoint's history stays replayable.
 */
export const DATA_KEY_STREAM_PREFIX = 'rotorDataKey-';
export const DATA_KEY_EVENT_VERSION = 1;

export const dataKeyStreamName = (endpointId: string): string =>
  `${DATA_KEY_STREAM_PREFIX}${endpointId}`;

/** The inverse of `dataKeyStreamName`; undefined for streams of other categories. */
export const endpointIdOfDataKeyStream = (stream: string): string | undefined =>
  stream.startsWith(DATA_KEY_STREAM_PREFIX)
    ? stream.slice(DATA_KEY_STREAM_PREFIX.length)
    : undefined;

/** Binds a wrapped data key to its endpoint: it cannot be replayed into another stream. */
export const dataKeyAad = (endpointId: string): string => `rotor:dek:${endpointId}`;

export interface DataKeyCreated {
  readonly type: 'DataKeyCreated';
  readonly data: {
    readonly endpointId: string;
    readonly kekId: string;
    /** `seal(kek, dataKey, dataKeyAad(endpointId))`. */
    readonly wrappedKey: string;
  };
}

export interface DataKeyRewrapped {
  readonly type: 'DataKeyRewrapped';
  readonly data: {
    readonly endpointId: string;
    readonly kekId: string;
    readonly previousKekId: string;
    readonly wrappedKey: string;
  };
}

export type DataKeyEvent = DataKeyCreated | DataKeyRewrapped;

/** An endpoint's data key as stored: wrapped under `kekId`, at stream `revision`. */
export interface WrappedDataKey {
  readonly endpointId: string;
  readonly kekId: string;
  readonly wrappedKey: string;
  readonly revision: number;
}

interface StoredDataKeyEvent {
  readonly type: string;
  readonly version: number;
  readonly data: unknown;
  readonly revision: number;
}

/**
 * The current wrapped key of a data-key stream, or undefined for an empty (never created
 * or shredded) stream. Every event carries the whole wrapped key, so the last one decides.
 */
export const latestDataKey = (
  events: readonly StoredDataKeyEvent[],
): WrappedDataKey | undefined => {
  const last = events.at(-1);
  if (!last) return undefined;
  if (
    (last.type !== 'DataKeyCreated' && last.type !== 'DataKeyRewrapped') ||
    last.version !== DATA_KEY_EVENT_VERSION
  )
    throw new Error(`cannot read data-key event ${last.type} v${last.version}`);
  const { endpointId, kekId, wrappedKey } = last.data as DataKeyEvent['data'];
  return { endpointId, kekId, wrappedKey, revision: last.revision };
};
