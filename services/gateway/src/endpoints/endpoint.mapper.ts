import type {
  EndpointView,
  GetHistoryReply,
  GetPublicKeysReply,
  KeyView,
  ListEndpointsReply,
  ListEndpointsRequest,
  RegisterEndpointReply,
  RegisterEndpointRequest,
  RequestMeta,
  RotationPolicy,
  RotateSecretReply,
  RotateSecretRequest,
  SignReply,
  SignRequest,
} from '@rotor/contracts';
import { DEFAULT_SIGNING_SCHEME } from '@rotor/domain';
import { randomBytes } from 'node:crypto';
import type { RequestContext } from '../auth/scopes';
import type {
  CreateSignatureBody,
  ListEndpointsQuery,
  RegisterEndpointBody,
  RotateSecretBody,
  RotationPolicyBody,
} from './endpoint.requests';
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

/**
 * The REST edge of an endpoint, both ways: a REST body (snake_case) to the request of its
 * subject (proto JSON, lowerCamelCase), always with the caller's tenant so the services
 * refuse another tenant's endpoint as missing; and a reply to its REST shape.
 */

/** Who sends the command: the API key is the actor, the request id follows it into events. */
export const metaOf = (ctx: RequestContext): RequestMeta => ({
  actor: ctx.apiKeyId,
  requestId: ctx.requestId,
  ...(ctx.idempotencyKey === undefined ? {} : { idempotencyKey: ctx.idempotencyKey }),
});

/** A query about one endpoint, as the caller's tenant may see it. */
export const endpointQuery = (ctx: RequestContext, endpointId: string) => ({
  tenantId: ctx.tenantId,
  endpointId,
});

/** A command on one endpoint (revoke-previous, delete; rotate adds its body). */
export const endpointCommand = (ctx: RequestContext, endpointId: string) => ({
  meta: metaOf(ctx),
  ...endpointQuery(ctx, endpointId),
});

const policyOf = ({ every_seconds, grace_seconds }: RotationPolicyBody): RotationPolicy => ({
  everySeconds: every_seconds,
  graceSeconds: grace_seconds,
});

export const registerEndpointRequest = (
  ctx: RequestContext,
  body: RegisterEndpointBody,
): RegisterEndpointRequest => ({
  meta: metaOf(ctx),
  tenantId: ctx.tenantId,
  url: body.url,
  ...(body.description === undefined ? {} : { description: body.description }),
  ...(body.signing === undefined ? {} : { signing: body.signing }),
  ...(body.rotation_policy === undefined ? {} : { rotationPolicy: policyOf(body.rotation_policy) }),
  ...(body.secret === undefined ? {} : { secret: body.secret }),
  ...(body.external_id === undefined ? {} : { externalId: body.external_id }),
});

export const listEndpointsRequest = (
  ctx: RequestContext,
  query: ListEndpointsQuery,
): ListEndpointsRequest => ({
  tenantId: ctx.tenantId,
  ...(query.limit === undefined ? {} : { limit: query.limit }),
  ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
  ...(query.external_id === undefined ? {} : { externalId: query.external_id }),
});

export const rotateSecretRequest = (
  ctx: RequestContext,
  endpointId: string,
  body: RotateSecretBody,
): RotateSecretRequest => ({
  ...endpointCommand(ctx, endpointId),
  ...(body.expire_current_in === undefined ? {} : { expireCurrentIn: body.expire_current_in }),
  ...(body.force === undefined ? {} : { force: body.force }),
  ...(body.signing === undefined ? {} : { signing: body.signing }),
  ...(body.secret === undefined ? {} : { secret: body.secret }),
});

export const newMsgId = (): string => `msg_${randomBytes(16).toString('hex')}`;

/** The defaults a receiver's test needs: a fresh message id, and the time of the request. */
export const signRequest = (
  ctx: RequestContext,
  endpointId: string,
  body: CreateSignatureBody,
  now: Date,
): SignRequest => ({
  ...endpointQuery(ctx, endpointId),
  msgId: body.msg_id ?? newMsgId(),
  timestamp: body.timestamp ?? Math.floor(now.getTime() / 1000),
  payload: body.payload,
});

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
