import type {
  EndpointView,
  GetHistoryReply,
  GetPublicKeysReply,
  KeyView,
  ListEndpointsReply,
  RegisterEndpointReply,
  RotateSecretReply,
  SignReply,
} from '@rotor/contracts';
import { DEFAULT_SIGNING_SCHEME } from '@rotor/domain';
import type {
  CreatedEndpointResource,
  EndpointListResource,
  EndpointResource,
  HistoryResource,
  KeyResource,
  PublicKeyListResource,
  RotationResource,
  SignatureResource,
} from './endpoint.resources';

/** The wire (proto JSON, lowerCamelCase) to REST (snake_case), field by field. */
export const snakeCase = (name: string): string =>
  name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1_$2')
    .toLowerCase();

/** Every object key in a JSON value, snake_cased (event data in the history). */
export const snakeKeys = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(snakeKeys);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([k, v]) => [snakeCase(k), snakeKeys(v)]),
  );
};

const keyResource = (key: KeyView): KeyResource => ({
  key_id: key.keyId,
  status: key.status,
  created_at: key.createdAt,
  ...(key.expiresAt === undefined ? {} : { expires_at: key.expiresAt }),
  ...(key.expiredAt === undefined ? {} : { expired_at: key.expiredAt }),
  ...(key.expiryReason === undefined ? {} : { expiry_reason: key.expiryReason }),
  hint: key.hint,
  fingerprint: key.fingerprint,
  signing: key.signing ?? DEFAULT_SIGNING_SCHEME,
  ...(key.publicKey === undefined ? {} : { public_key: key.publicKey }),
  ...(key.rotationDueAt === undefined ? {} : { rotation_due_at: key.rotationDueAt }),
  ...(key.rotationDue === undefined ? {} : { rotation_due: key.rotationDue }),
  origin: key.origin ?? 'generated',
});

/** The key material a registration or rotation hands over: a secret, or a public key. */
const handedOver = (reply: { secret?: string; publicKey?: string }) => ({
  ...(reply.secret === undefined ? {} : { secret: reply.secret }),
  ...(reply.publicKey === undefined ? {} : { public_key: reply.publicKey }),
});

export const endpointResource = (view: EndpointView): EndpointResource => ({
  id: view.id,
  url: view.url ?? null,
  description: view.description ?? null,
  status: view.status,
  created_at: view.createdAt,
  updated_at: view.updatedAt,
  keys: view.keys.map(keyResource),
  ...(view.rotationPolicy === undefined
    ? {}
    : {
        rotation_policy: {
          every_seconds: view.rotationPolicy.everySeconds,
          grace_seconds: view.rotationPolicy.graceSeconds,
        },
      }),
  ...(view.rotationDueAt === undefined ? {} : { rotation_due_at: view.rotationDueAt }),
  ...(view.externalId === undefined ? {} : { external_id: view.externalId }),
});

export const createdEndpointResource = (reply: RegisterEndpointReply): CreatedEndpointResource => ({
  ...endpointResource(reply.endpoint),
  key_id: reply.keyId,
  ...handedOver(reply),
});

export const endpointListResource = (reply: ListEndpointsReply): EndpointListResource => ({
  data: reply.data.map(endpointResource),
  next_cursor: reply.nextCursor ?? null,
});

export const rotationResource = (reply: RotateSecretReply): RotationResource => ({
  id: reply.endpointId,
  key_id: reply.keyId,
  ...handedOver(reply),
  previous_key_id: reply.previousKeyId,
  // DESIGN §5 fixes this REST name; everywhere else the instant is previousKeyExpiresAt.
  previous_secret_expires_at: reply.previousKeyExpiresAt,
});

/** The signer's headers already carry their HTTP names (signer.proto): passed on as they are. */
export const signatureResource = (reply: SignReply): SignatureResource => ({
  headers: reply.headers,
});

export const publicKeyListResource = (reply: GetPublicKeysReply): PublicKeyListResource => ({
  data: reply.data.map((key) => ({
    key_id: key.keyId,
    public_key: key.publicKey,
    status: key.status,
    created_at: key.createdAt,
    ...(key.expiresAt === undefined ? {} : { expires_at: key.expiresAt }),
  })),
});

export const historyResource = (reply: GetHistoryReply): HistoryResource => ({
  data: reply.data.map((entry) => ({
    type: entry.type,
    version: entry.version,
    occurred_at: entry.occurredAt,
    actor: entry.actor,
    request_id: entry.requestId,
    data: snakeKeys(entry.data) as Record<string, unknown>,
  })),
  next_cursor: null,
});

/** A field named by a service (`endpointId`, `meta.requestId`) as the REST client knows it. */
export const restParam = (param: string): string =>
  param
    .split('.')
    .map((part) => (part === 'endpointId' ? 'id' : snakeCase(part)))
    .join('.');
