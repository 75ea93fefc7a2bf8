import type { RecordedEvent } from '@rotor/event-store';
import type { ApiKeyRecord, ApiKeyView, Scope } from './api-key';

/**
 * API keys are event-sourced in the same store as endpoints: one stream per key,
 * `rotorApiKey-<id>`, so who created or revoked a key, and when, is in the audit trail.
 */
export const API_KEY_STREAM_CATEGORY = 'rotorApiKey';
export const API_KEY_STREAM_PREFIX = `${API_KEY_STREAM_CATEGORY}-`;

export const apiKeyStreamName = (id: string): string => `${API_KEY_STREAM_PREFIX}${id}`;

/** The inverse of `apiKeyStreamName`; undefined for other streams. */
export const apiKeyIdOfStream = (stream: string): string | undefined =>
  stream.startsWith(API_KEY_STREAM_PREFIX) ? stream.slice(API_KEY_STREAM_PREFIX.length) : undefined;

/** Event ApiKeyCreated, version 1. Holds the hash only: the plaintext is never stored. */
export interface ApiKeyCreatedData {
  readonly id: string;
  readonly tenantId: string;
  readonly scopes: readonly Scope[];
  readonly name: string;
  readonly hashedKey: string;
  /** RFC 3339. */
  readonly createdAt: string;
}

/** Event ApiKeyRevoked, version 1. */
export interface ApiKeyRevokedData {
  readonly id: string;
  /** RFC 3339. */
  readonly revokedAt: string;
}

export type ApiKeyEvent =
  | { readonly type: 'ApiKeyCreated'; readonly data: ApiKeyCreatedData }
  | { readonly type: 'ApiKeyRevoked'; readonly data: ApiKeyRevokedData };

export const API_KEY_EVENT_VERSIONS: Record<ApiKeyEvent['type'], number> = {
  ApiKeyCreated: 1,
  ApiKeyRevoked: 1,
};

/** The recorded event as an `ApiKeyEvent`; undefined for other types (an open set). */
export const toApiKeyEvent = (
  recorded: Pick<RecordedEvent, 'type' | 'data'>,
): ApiKeyEvent | undefined => {
  switch (recorded.type) {
    case 'ApiKeyCreated':
      return { type: 'ApiKeyCreated', data: recorded.data as ApiKeyCreatedData };
    case 'ApiKeyRevoked':
      return { type: 'ApiKeyRevoked', data: recorded.data as ApiKeyRevokedData };
    default:
      return undefined;
  }
};

/**
 * Folds one recorded event into the full record (the CLI's listing). Applying an event
 * twice leaves the same record; an event of another type leaves it as it is.
 */
export const applyApiKeyRecordEvent = (
  record: ApiKeyRecord | undefined,
  recorded: Pick<RecordedEvent, 'type' | 'data'>,
): ApiKeyRecord | undefined => {
  const event = toApiKeyEvent(recorded);
  if (!event) return record;
  switch (event.type) {
    case 'ApiKeyCreated': {
      if (record) return record;
      const { id, tenantId, scopes, name, hashedKey, createdAt } = event.data;
      return { id, tenantId, scopes: [...scopes], name, hashedKey, createdAt };
    }
    case 'ApiKeyRevoked':
      if (!record || record.revokedAt !== undefined) return record;
      return { ...record, revokedAt: event.data.revokedAt };
  }
};

/**
 * The projection of the `rotor_api_keys` bucket: pure and idempotent. A revocation only
 * ever turns a key off; replaying its creation afterwards does not turn it back on.
 * Throws for a stream that does not start with `ApiKeyCreated`: the projector must not
 * invent a key from a revocation alone.
 */
export const applyApiKeyEvent = (
  view: ApiKeyView | undefined,
  recorded: Pick<RecordedEvent, 'type' | 'data'>,
): ApiKeyView => {
  const event = toApiKeyEvent(recorded);
  if (event?.type === 'ApiKeyCreated') {
    if (view) return view;
    const { id, tenantId, scopes, name, hashedKey } = event.data;
    return { id, tenantId, scopes: [...scopes], name, hashedKey, revoked: false };
  }
  if (!view) throw new TypeError(`api key projection: ${recorded.type} before ApiKeyCreated`);
  if (event?.type === 'ApiKeyRevoked') return view.revoked ? view : { ...view, revoked: true };
  return view;
};
