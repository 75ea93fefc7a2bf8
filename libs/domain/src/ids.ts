/**
 * Identifier formats (DESIGN §1). Generation needs randomness and a clock, so it lives at
 * the edge (`@rotor/crypto`); the domain only knows the shapes.
 */
export const ENDPOINT_ID_PATTERN = /^we_[0-9a-f]{32}$/;
/** `key_` + a ULID (Crockford base32, 26 characters): sortable by creation time. */
export const KEY_ID_PATTERN = /^key_[0-9A-HJKMNP-TV-Z]{26}$/;
/** Tenants are named by the operator (`dev`, `acme-prod`): short, URL- and subject-safe. */
export const TENANT_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;

export const ENDPOINT_STREAM_CATEGORY = 'webhookEndpoint';

export const isEndpointId = (value: unknown): value is string =>
  typeof value === 'string' && ENDPOINT_ID_PATTERN.test(value);

export const isKeyId = (value: unknown): value is string =>
  typeof value === 'string' && KEY_ID_PATTERN.test(value);

export const isTenantId = (value: unknown): value is string =>
  typeof value === 'string' && TENANT_ID_PATTERN.test(value);

export const endpointStreamName = (endpointId: string): string =>
  `${ENDPOINT_STREAM_CATEGORY}-${endpointId}`;

/** The inverse of `endpointStreamName`; undefined for streams of other categories. */
export const endpointIdOfStream = (streamName: string): string | undefined => {
  const prefix = `${ENDPOINT_STREAM_CATEGORY}-`;
  return streamName.startsWith(prefix) ? streamName.slice(prefix.length) : undefined;
};
