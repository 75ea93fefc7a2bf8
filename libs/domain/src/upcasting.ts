import { EVENT_VERSIONS, isEndpointEventType, type EndpointEvent } from './events';

/**
 * Stored events keep the shape they were written with; readers upcast them to the current
 * version one step at a time. To change an event's shape: bump its version in
 * `EVENT_VERSIONS`, then add the step from the old version here (and a test).
 */
export interface StoredEventShape {
  readonly type: string;
  readonly version: number;
  readonly data: unknown;
}

type Upcaster = (data: any) => unknown;

// v1 (before Ed25519) keys were always HMAC and had no public key; v2 keys name their
// scheme, `hmac-sha256` or `ed25519` (with `publicKey`). v1 already wrote `algorithm`, so the
// step only pins it: a v1 key is an HMAC key whatever a hand-edited row claims.
const hmacKeyOfV1 = (data: { key: { algorithm?: string; publicKey?: string } }) => {
  const { publicKey: _none, ...key } = data.key;
  return { ...data, key: { ...key, algorithm: 'hmac-sha256' } };
};

// v2 keys were all made by Rotor: v3 names where a key came from, and import is new in v3.
const generatedKeyOfV2 = (data: { key: object }) => ({
  ...data,
  key: { ...data.key, origin: 'generated' },
});

const UPCASTERS: Record<string, Record<number, Upcaster>> = {
  EndpointRegistered: { 1: hmacKeyOfV1, 2: generatedKeyOfV2 },
  SecretRotated: {
    2: generatedKeyOfV2,
    1: hmacKeyOfV1,
    // v0 (pre-release) named the grace period's end `expiresAt` and did not record the
    // grace period itself; both are derivable from the new key's creation time.
    0: (data: {
      endpointId: string;
      key: { createdAt: string };
      previousKeyId: string;
      expiresAt: string;
    }) => {
      const { expiresAt, ...rest } = data;
      return {
        ...rest,
        previousKeyExpiresAt: expiresAt,
        gracePeriodSeconds: Math.max(
          0,
          Math.round((Date.parse(expiresAt) - Date.parse(data.key.createdAt)) / 1000),
        ),
      };
    },
  },
};

export class UnknownEventError extends Error {
  constructor(
    readonly eventType: string,
    readonly version: number,
  ) {
    super(`cannot read event ${eventType} v${version}`);
  }
}

/** Reads a stored event as the current shape, or throws `UnknownEventError`. */
export const upcast = (stored: StoredEventShape): EndpointEvent => {
  const { type } = stored;
  if (!isEndpointEventType(type)) throw new UnknownEventError(type, stored.version);
  const target = EVENT_VERSIONS[type];
  let { version } = stored;
  let data = stored.data;
  if (version > target) throw new UnknownEventError(type, version);
  while (version < target) {
    const step = UPCASTERS[type]?.[version];
    if (!step) throw new UnknownEventError(type, version);
    data = step(data);
    version += 1;
  }
  return { type, data } as EndpointEvent;
};
