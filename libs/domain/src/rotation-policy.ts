import { MAX_GRACE_PERIOD_SECONDS } from './commands';
import { DomainError } from './errors';

/**
 * An endpoint's rotation policy: a new key every `everySeconds` (counted from the current
 * key's creation), the old one valid `graceSeconds` longer. Ed25519 endpoints are rotated
 * by the scheduler (actor `rotor-scheduler`); for HMAC endpoints, where a person must carry
 * the new secret over, the policy only says when a rotation is due.
 */
export interface RotationPolicy {
  readonly everySeconds: number;
  readonly graceSeconds: number;
}

export const MIN_ROTATION_EVERY_SECONDS = 60;
/** One year. */
export const MAX_ROTATION_EVERY_SECONDS = 31_536_000;

/** The actor every scheduled rotation is recorded with. */
export const SCHEDULER_ACTOR = 'rotor-scheduler';

const isIntegerIn = (value: unknown, min: number, max: number): value is number =>
  Number.isInteger(value) && (value as number) >= min && (value as number) <= max;

/**
 * Why a policy cannot be kept, or undefined. The grace must end before the next rotation is
 * due, or every scheduled rotation would meet an open overlap.
 */
export const rotationPolicyProblem = (policy: RotationPolicy): DomainError | undefined => {
  if (!isIntegerIn(policy.everySeconds, MIN_ROTATION_EVERY_SECONDS, MAX_ROTATION_EVERY_SECONDS))
    return new DomainError(
      'invalid_rotation_policy',
      `every_seconds must be an integer from ${MIN_ROTATION_EVERY_SECONDS} to ${MAX_ROTATION_EVERY_SECONDS}`,
      'rotationPolicy.everySeconds',
    );
  if (!isIntegerIn(policy.graceSeconds, 0, MAX_GRACE_PERIOD_SECONDS))
    return new DomainError(
      'invalid_rotation_policy',
      `grace_seconds must be an integer from 0 to ${MAX_GRACE_PERIOD_SECONDS}`,
      'rotationPolicy.graceSeconds',
    );
  if (policy.graceSeconds >= policy.everySeconds)
    return new DomainError(
      'invalid_rotation_policy',
      'grace_seconds must be shorter than every_seconds',
      'rotationPolicy.graceSeconds',
    );
  return undefined;
};

/** RFC 3339: when a key made at `createdAt` is due for rotation under `policy`. */
export const rotationDueAt = (createdAt: string, policy: RotationPolicy): string =>
  new Date(Date.parse(createdAt) + policy.everySeconds * 1000).toISOString();

/**
 * The idempotency key of the scheduled rotation of one period: the endpoint and the key the
 * period belongs to. Every scheduler instance, before or after a restart, derives the same
 * one, so the command executes once per period and a duplicate is answered as a replay.
 */
export const scheduledRotationKey = (endpointId: string, keyId: string): string =>
  `scheduled-rotation:${endpointId}:${keyId}`;
