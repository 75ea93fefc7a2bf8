import { randomUUID } from 'node:crypto';
import { TENANT_ID_PATTERN } from '@rotor/domain';
import {
  chainEvents,
  GENESIS_HASH,
  START,
  type AuditSigner,
  type EventStore,
  type EventToAppend,
  type ExpectedRevision,
} from '@rotor/event-store';
import {
  generateApiKey,
  hashApiKey,
  isApiKeyId,
  isScope,
  newApiKeyId,
  type ApiKeyRecord,
  type Scope,
} from './api-key';
import {
  API_KEY_EVENT_VERSIONS,
  API_KEY_STREAM_PREFIX,
  apiKeyStreamName,
  applyApiKeyRecordEvent,
  type ApiKeyCreatedData,
  type ApiKeyRevokedData,
} from './api-key-events';

/** An event before its hash chain is stamped: metadata without `prevHash`/`hash`. */
export interface UnchainedApiKeyEvent {
  readonly type: string;
  readonly version: number;
  readonly data: unknown;
  readonly metadata: {
    readonly actor: string;
    readonly requestId: string;
    readonly occurredAt: string;
  };
}

/**
 * Stamps the audit hash chain (DESIGN §6) on events about to be appended after
 * `lastEvent` (undefined for a new stream).
 */
export type ChainApiKeyEvents = (
  stream: string,
  lastEvent: { readonly revision: number; readonly hash: string } | undefined,
  events: readonly UnchainedApiKeyEvent[],
) => EventToAppend[];

const chainWith =
  (signer: AuditSigner | undefined): ChainApiKeyEvents =>
  (stream, lastEvent, events) =>
    chainEvents(
      stream,
      lastEvent ? lastEvent.revision + 1 : 0,
      lastEvent ? lastEvent.hash : GENESIS_HASH,
      events,
      signer,
    );

export interface ApiKeyStoreOptions {
  readonly now?: () => Date;
  readonly requestId?: string;
  /** Signs the chain (DESIGN §6): the KEK ring's audit key, where the caller holds it. */
  readonly signer?: AuditSigner;
  readonly chain?: ChainApiKeyEvents;
}

/** A request the store refuses: bad input, unknown key. `code` is stable. */
export class ApiKeyError extends Error {
  override readonly name = 'ApiKeyError';
  constructor(
    readonly code: 'invalid_api_key_request' | 'api_key_not_found',
    message: string,
  ) {
    super(message);
  }
}

export interface CreateApiKeyInput {
  readonly tenantId: string;
  readonly scopes: readonly string[];
  readonly name: string;
  /** Who creates it (an operator, `cli`): recorded in the event's metadata. */
  readonly actor: string;
}

const MAX_NAME_LENGTH = 200;

/**
 * Creates a key: appends `ApiKeyCreated` to a new stream (expected `no_stream`) and returns
 * the plaintext once. The caller shows it to the operator and forgets it.
 */
export async function createApiKey(
  store: EventStore,
  input: CreateApiKeyInput,
  options: ApiKeyStoreOptions = {},
): Promise<{ record: ApiKeyRecord; plaintextKey: string }> {
  const { tenantId, name, actor } = input;
  if (!TENANT_ID_PATTERN.test(tenantId))
    throw new ApiKeyError(
      'invalid_api_key_request',
      'tenant id must be 1 to 64 of a-z 0-9 _ -, starting with a letter or digit',
    );
  const unknown = input.scopes.filter((scope) => !isScope(scope));
  if (unknown.length > 0)
    throw new ApiKeyError('invalid_api_key_request', `unknown scope(s): ${unknown.join(', ')}`);
  const scopes = [...new Set(input.scopes as Scope[])];
  if (scopes.length === 0)
    throw new ApiKeyError('invalid_api_key_request', 'a key needs at least one scope');
  if (name.trim().length === 0 || name.length > MAX_NAME_LENGTH)
    throw new ApiKeyError(
      'invalid_api_key_request',
      `name must be 1 to ${MAX_NAME_LENGTH} characters`,
    );
  if (actor.length === 0) throw new ApiKeyError('invalid_api_key_request', 'actor is required');

  const now = (options.now ?? (() => new Date()))().toISOString();
  const plaintextKey = generateApiKey();
  const data: ApiKeyCreatedData = {
    id: newApiKeyId(),
    tenantId,
    scopes,
    name,
    hashedKey: hashApiKey(plaintextKey),
    createdAt: now,
  };
  await append(store, data.id, undefined, 'ApiKeyCreated', data, actor, now, options);
  return { record: { ...data, scopes: [...scopes] }, plaintextKey };
}

/**
 * Revokes a key: appends `ApiKeyRevoked` expecting the revision just read. Revoking a
 * revoked key changes nothing and returns it as it is.
 */
export async function revokeApiKey(
  store: EventStore,
  id: string,
  actor: string,
  options: ApiKeyStoreOptions = {},
): Promise<ApiKeyRecord> {
  if (!isApiKeyId(id)) throw new ApiKeyError('api_key_not_found', `api key ${id} not found`);
  const recorded = await store.read(apiKeyStreamName(id));
  const record = recorded.reduce(applyApiKeyRecordEvent, undefined);
  if (!record) throw new ApiKeyError('api_key_not_found', `api key ${id} not found`);
  if (record.revokedAt !== undefined) return record;
  const last = recorded[recorded.length - 1];
  const revokedAt = (options.now ?? (() => new Date()))().toISOString();
  const data: ApiKeyRevokedData = { id, revokedAt };
  await append(
    store,
    id,
    { revision: last.revision, hash: last.metadata.hash },
    'ApiKeyRevoked',
    data,
    actor,
    revokedAt,
    options,
  );
  return { ...record, revokedAt };
}

/** Every key ever created, revoked ones included, oldest first. */
export async function listApiKeys(store: EventStore): Promise<ApiKeyRecord[]> {
  const records = new Map<string, ApiKeyRecord>();
  for await (const event of store.readAll(START, { streamPrefixes: [API_KEY_STREAM_PREFIX] })) {
    const id = event.stream.slice(API_KEY_STREAM_PREFIX.length);
    const next = applyApiKeyRecordEvent(records.get(id), event);
    if (next) records.set(id, next);
  }
  return [...records.values()];
}

async function append(
  store: EventStore,
  id: string,
  lastEvent: { revision: number; hash: string } | undefined,
  type: keyof typeof API_KEY_EVENT_VERSIONS,
  data: ApiKeyCreatedData | ApiKeyRevokedData,
  actor: string,
  occurredAt: string,
  options: ApiKeyStoreOptions,
): Promise<void> {
  const stream = apiKeyStreamName(id);
  const requestId = options.requestId ?? randomUUID();
  const chain = options.chain ?? chainWith(options.signer);
  const events = chain(stream, lastEvent, [
    {
      type,
      version: API_KEY_EVENT_VERSIONS[type],
      data,
      metadata: { actor, requestId, occurredAt },
    },
  ]);
  const expected: ExpectedRevision = lastEvent ? lastEvent.revision : 'no_stream';
  await store.append(stream, events, expected);
}
