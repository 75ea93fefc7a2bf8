import {
  DEFAULT_GRACE_PERIOD_SECONDS,
  MAX_GRACE_PERIOD_SECONDS,
  type DeleteEndpoint,
  type EndpointCommand,
  type ExpirePreviousSecret,
  type MarkRotationDue,
  type RegisterEndpoint,
  type RevokePreviousSecret,
  type RotateSecret,
} from './commands';
import { DomainError } from './errors';
import type { EndpointEvent, PreviousSecretExpired } from './events';
import { isEndpointId, isKeyId, isTenantId } from './ids';
import { isExternalId } from './supplied-secret';
import { isPublicKey, isSigningScheme, type SealedKey } from './key';
import { assertNever, type ActiveEndpoint, type EndpointState } from './state';
import { rotationDueAt, rotationPolicyProblem } from './rotation-policy';

/**
 * The endpoint decider: given a command and the current state, the events that record
 * what happened, or the rule that refused it. Pure: `now` and key material come in the
 * command.
 */
export const decide = (
  command: EndpointCommand,
  state: EndpointState,
): EndpointEvent[] | DomainError => {
  switch (command.type) {
    case 'RegisterEndpoint':
      return register(command, state);
    case 'RotateSecret':
      return rotate(command, state);
    case 'RevokePreviousSecret':
      return revokePrevious(command, state);
    case 'ExpirePreviousSecret':
      return expirePrevious(command, state);
    case 'DeleteEndpoint':
      return deleteEndpoint(command, state);
    case 'MarkRotationDue':
      return markRotationDue(command, state);
    default:
      return assertNever(command);
  }
};

const register = (command: RegisterEndpoint, state: EndpointState) => {
  const { endpointId, tenantId, url, description, key, rotationPolicy, externalId } = command.data;
  if (!isEndpointId(endpointId))
    return new DomainError('invalid_command', 'malformed endpoint id', 'endpointId');
  if (!isTenantId(tenantId))
    return new DomainError('invalid_command', 'malformed tenant id', 'tenantId');
  if (externalId !== undefined && !isExternalId(externalId))
    return new DomainError(
      'invalid_command',
      'external_id must be 1 to 128 printable ASCII characters',
      'externalId',
    );
  const keyProblem = checkKey(key);
  if (keyProblem) return keyProblem;
  const policyProblem = rotationPolicy && rotationPolicyProblem(rotationPolicy);
  if (policyProblem) return policyProblem;
  if (state.status !== 'unregistered')
    return new DomainError('endpoint_already_exists', `endpoint ${endpointId} already exists`);
  const event: EndpointEvent = {
    type: 'EndpointRegistered',
    data: {
      endpointId,
      tenantId,
      ...(url === undefined ? {} : { url }),
      ...(description === undefined ? {} : { description }),
      key,
      ...(rotationPolicy === undefined ? {} : { rotationPolicy }),
      ...(externalId === undefined ? {} : { externalId }),
    },
  };
  return [event];
};

const rotate = (command: RotateSecret, state: EndpointState) => {
  const endpoint = requireActive(state, command.data.endpointId);
  if (endpoint instanceof DomainError) return endpoint;
  const { key, scheduledKeyId } = command.data;
  const scheduled = scheduledKeyId === undefined ? undefined : scheduledRotation(command, endpoint);
  if (scheduled instanceof DomainError) return scheduled;
  // A scheduled rotation never forces: an overlap still open (a manual rotation with a long
  // grace) makes it wait, like any rotation.
  const force = scheduled ? false : (command.data.force ?? false);
  const grace =
    scheduled?.graceSeconds ?? command.data.expireCurrentIn ?? DEFAULT_GRACE_PERIOD_SECONDS;
  if (!Number.isInteger(grace) || grace < 0 || grace > MAX_GRACE_PERIOD_SECONDS)
    return new DomainError(
      'invalid_grace_period',
      `expire_current_in must be an integer from 0 to ${MAX_GRACE_PERIOD_SECONDS} seconds`,
      'expireCurrentIn',
    );
  const keyProblem = checkKey(key);
  if (keyProblem) return keyProblem;
  if (endpoint.keyIds.has(key.keyId))
    return new DomainError('duplicate_key_id', `key id ${key.keyId} was already used`);

  const now = command.now;
  const events: EndpointEvent[] = [];
  const { previous } = endpoint;
  if (previous) {
    if (isStillValid(previous.expiresAt, now)) {
      // At most two keys are valid at once: a third needs the older one gone first.
      if (!force)
        return new DomainError(
          'rotation_in_progress',
          `the previous key ${previous.keyId} is valid until ${previous.expiresAt}; ` +
            'revoke it, wait for it to expire, or rotate with force',
        );
      events.push(expired(endpoint, previous.keyId, now.toISOString(), 'superseded'));
    } else {
      // The grace period ended but the scheduler has not said so yet: record it now so
      // the stream never shows three keys in play.
      events.push(expired(endpoint, previous.keyId, previous.expiresAt, 'grace_period_elapsed'));
    }
  }
  const previousKeyExpiresAt = new Date(now.getTime() + grace * 1000).toISOString();
  events.push({
    type: 'SecretRotated',
    data: {
      endpointId: endpoint.endpointId,
      key,
      previousKeyId: endpoint.current.keyId,
      previousKeyExpiresAt,
      gracePeriodSeconds: grace,
    },
  });
  if (grace === 0)
    events.push(
      expired(endpoint, endpoint.current.keyId, previousKeyExpiresAt, 'grace_period_elapsed'),
    );
  return events;
};

/**
 * The scheduler's rotation of the period of `scheduledKeyId`: only for an Ed25519 endpoint
 * with a policy (an HMAC secret needs a person to carry it over), only while that key is
 * still current (a key rotated since starts a new period), and never before it is due.
 */
const scheduledRotation = (command: RotateSecret, endpoint: ActiveEndpoint) => {
  const { rotationPolicy, current } = endpoint;
  if (!rotationPolicy)
    return new DomainError(
      'invalid_command',
      'the endpoint has no rotation policy',
      'scheduledKeyId',
    );
  if (current.algorithm !== 'ed25519')
    return new DomainError(
      'invalid_command',
      'only Ed25519 endpoints are rotated by the scheduler; HMAC ones are marked due',
      'scheduledKeyId',
    );
  const dueAt = rotationDueAt(current.createdAt, rotationPolicy);
  if (current.keyId !== command.data.scheduledKeyId)
    return new DomainError(
      'rotation_not_due',
      `key ${command.data.scheduledKeyId} is no longer current`,
    );
  if (command.now.getTime() < Date.parse(dueAt))
    return new DomainError(
      'rotation_not_due',
      `key ${current.keyId} is due for rotation at ${dueAt}`,
    );
  return rotationPolicy;
};

/**
 * The scheduler's mark on an HMAC key whose period ended: once per key (a duplicate, or a
 * key rotated since, is a no-op), never early, only under a policy.
 */
const markRotationDue = (command: MarkRotationDue, state: EndpointState) => {
  const endpoint = requireActive(state, command.data.endpointId);
  if (endpoint instanceof DomainError) return endpoint;
  const { rotationPolicy, current } = endpoint;
  if (!rotationPolicy)
    return new DomainError('invalid_command', 'the endpoint has no rotation policy', 'keyId');
  if (current.algorithm !== 'hmac-sha256')
    return new DomainError(
      'invalid_command',
      'Ed25519 endpoints are rotated by the scheduler, not marked due',
      'keyId',
    );
  if (current.keyId !== command.data.keyId || endpoint.rotationDueFor === current.keyId) return [];
  const dueAt = rotationDueAt(current.createdAt, rotationPolicy);
  if (command.now.getTime() < Date.parse(dueAt))
    return new DomainError('rotation_not_due', `key ${current.keyId} is due at ${dueAt}`);
  const event: EndpointEvent = {
    type: 'SecretRotationDue',
    data: { endpointId: endpoint.endpointId, keyId: current.keyId, dueAt },
  };
  return [event];
};

const revokePrevious = (command: RevokePreviousSecret, state: EndpointState) => {
  const endpoint = requireActive(state, command.data.endpointId);
  if (endpoint instanceof DomainError) return endpoint;
  const { previous } = endpoint;
  // Nothing open to revoke: succeed without events, so a retried revoke is harmless.
  if (!previous) return [];
  return isStillValid(previous.expiresAt, command.now)
    ? [expired(endpoint, previous.keyId, command.now.toISOString(), 'revoked')]
    : [expired(endpoint, previous.keyId, previous.expiresAt, 'grace_period_elapsed')];
};

const expirePrevious = (command: ExpirePreviousSecret, state: EndpointState) => {
  const endpoint = requireActive(state, command.data.endpointId);
  if (endpoint instanceof DomainError) return endpoint;
  const { previous } = endpoint;
  // Already expired (revoked, superseded, or a duplicate from the scheduler): a no-op.
  if (!previous || previous.keyId !== command.data.keyId) return [];
  if (isStillValid(previous.expiresAt, command.now))
    return new DomainError(
      'expiry_not_due',
      `key ${previous.keyId} is valid until ${previous.expiresAt}`,
    );
  return [expired(endpoint, previous.keyId, previous.expiresAt, 'grace_period_elapsed')];
};

const deleteEndpoint = (command: DeleteEndpoint, state: EndpointState) => {
  const endpoint = requireActive(state, command.data.endpointId);
  if (endpoint instanceof DomainError) return endpoint;
  const event: EndpointEvent = {
    type: 'EndpointDeleted',
    data: { endpointId: endpoint.endpointId },
  };
  return [event];
};

/** A deleted or never-registered endpoint looks the same from outside: not found. */
const requireActive = (state: EndpointState, endpointId: string): ActiveEndpoint | DomainError =>
  state.status === 'active'
    ? state
    : new DomainError('endpoint_not_found', `endpoint ${endpointId} not found`);

const checkKey = (key: SealedKey): DomainError | undefined => {
  if (!isKeyId(key.keyId)) return new DomainError('invalid_command', 'malformed key id', 'key');
  if (!isSigningScheme(key.algorithm))
    return new DomainError('invalid_command', 'unsupported key algorithm', 'key');
  if (!key.ciphertext) return new DomainError('invalid_command', 'key is not sealed', 'key');
  // An Ed25519 key is useless to receivers without its public half; an HMAC key has none.
  if ((key.algorithm === 'ed25519') !== isPublicKey(key.publicKey))
    return new DomainError('invalid_command', 'public key missing or misplaced', 'key');
  // A supplied secret is shared with the receiver: only HMAC has one (an Ed25519 private key
  // is Rotor's alone, and a public key is all a receiver needs).
  if (key.origin === 'imported' && key.algorithm !== 'hmac-sha256')
    return new DomainError(
      'invalid_command',
      'a supplied secret is an HMAC secret: signing must be hmac-sha256',
      'signing',
    );
  return undefined;
};

/** The signer's rule, shared: a key signs while `now < expiresAt`. */
export const isStillValid = (expiresAt: string, now: Date): boolean =>
  now.getTime() < Date.parse(expiresAt);

const expired = (
  endpoint: ActiveEndpoint,
  keyId: string,
  expiredAt: string,
  reason: PreviousSecretExpired['data']['reason'],
): PreviousSecretExpired => ({
  type: 'PreviousSecretExpired',
  data: { endpointId: endpoint.endpointId, keyId, expiredAt, reason },
});
