import { SCHEDULER_ACTOR } from '@rotor/domain';
import { API_KEY_ID_PATTERN } from './api-key';

/**
 * Who really acts (DESIGN §4, "Identity"): the one rule that turns the authenticated caller
 * of a command (its NATS user, the last token of the subject it could publish on) and what
 * the request claims (`meta.actor`, `tenantId`) into the actor recorded in the events and
 * the tenant the command is checked against. Pure: the command service applies it at its
 * boundary, before anything is loaded or decided.
 *
 * - an internal service is recorded as `service:<name>`, whatever its `meta.actor` says;
 * - only the gateway may act on behalf of an API key: then the actor is the API key id it
 *   forwards (it authenticated the key), and nothing else is accepted from it;
 * - every endpoint command names its tenant, except from the operator CLI, the one identity
 *   allowed to act across tenants;
 * - each caller may send only the commands it is meant to send (nats.conf grants the same;
 *   this is the second lock, so a permissive NATS server alone does not open the door).
 */
export type CommandVerb =
  | 'register-endpoint'
  | 'rotate-secret'
  | 'revoke-previous-secret'
  | 'expire-previous-secret'
  | 'delete-endpoint'
  | 'rotate-on-schedule'
  | 'mark-rotation-due';

export const EVERY_COMMAND: readonly CommandVerb[] = [
  'register-endpoint',
  'rotate-secret',
  'revoke-previous-secret',
  'expire-previous-secret',
  'delete-endpoint',
  'rotate-on-schedule',
  'mark-rotation-due',
];

/** The NATS user names that may send commands, and the operator. */
export const GATEWAY_CALLER = 'gateway';
export const OPERATOR_CALLER = 'cli';
export const EXPIRY_CALLER = 'expiry';
/**
 * The all-in-one process calls itself over the in-process bus: every module (the gateway,
 * the scheduler) shares the process's one name, so it may send what either may.
 */
export const IN_PROCESS_CALLER = 'all-in-one';

/** What each caller may send. The gateway never ends a grace period: only the scheduler does. */
const ALLOWED: Readonly<Record<string, readonly CommandVerb[]>> = {
  [GATEWAY_CALLER]: [
    'register-endpoint',
    'rotate-secret',
    'revoke-previous-secret',
    'delete-endpoint',
  ],
  // The scheduler's command is guarded by time in the decider (`expiry_not_due`): it can only
  // end a grace period that is over, and its reply carries no secret.
  // Its rotation is guarded the same way (`rotation_not_due`): only the period of a key
  // that is still current, only once it has ended, only under the endpoint's own policy.
  [EXPIRY_CALLER]: ['expire-previous-secret', 'rotate-on-schedule', 'mark-rotation-due'],
  [IN_PROCESS_CALLER]: EVERY_COMMAND,
  [OPERATOR_CALLER]: EVERY_COMMAND,
};

/** Commands that act on a tenant's endpoint and so must name the tenant. */
const TENANT_COMMANDS: readonly CommandVerb[] = [
  'register-endpoint',
  'rotate-secret',
  'revoke-previous-secret',
  'delete-endpoint',
];

export interface CommandClaim {
  readonly command: CommandVerb;
  /** `meta.actor` as the request says it. */
  readonly claimedActor: string;
  readonly tenantId?: string;
}

export type ActingIdentity =
  | {
      readonly kind: 'allowed';
      /** Recorded as the `actor` of the events. */
      readonly actor: string;
      /** The tenant the command is checked against; undefined only for the operator. */
      readonly tenantId?: string;
    }
  | {
      readonly kind: 'refused';
      readonly code: 'caller_not_allowed' | 'tenant_required' | 'invalid_actor';
      readonly status: 403 | 422;
      readonly message: string;
      readonly param?: string;
    };

export const serviceActor = (caller: string): string => `service:${caller}`;

export function actingIdentity(caller: string, claim: CommandClaim): ActingIdentity {
  if (!(ALLOWED[caller] ?? []).includes(claim.command))
    return {
      kind: 'refused',
      code: 'caller_not_allowed',
      status: 403,
      message: `${caller} may not send ${claim.command}`,
    };
  if (
    claim.tenantId === undefined &&
    caller !== OPERATOR_CALLER &&
    TENANT_COMMANDS.includes(claim.command)
  )
    return {
      kind: 'refused',
      code: 'tenant_required',
      status: 422,
      message: `${claim.command} must name its tenant`,
      param: 'tenantId',
    };
  // A role, not a claim: recorded whoever among the callers allowed to send it sent it.
  if (claim.command === 'rotate-on-schedule' || claim.command === 'mark-rotation-due')
    return { kind: 'allowed', actor: SCHEDULER_ACTOR, tenantId: claim.tenantId };
  // One process, no boundary inside it to authenticate: its modules' claims are its own.
  if (caller === IN_PROCESS_CALLER)
    return { kind: 'allowed', actor: claim.claimedActor, tenantId: claim.tenantId };
  if (caller === GATEWAY_CALLER) {
    // The gateway authenticated an API key; an actor that is not one is a bug or a forgery.
    if (!API_KEY_ID_PATTERN.test(claim.claimedActor))
      return {
        kind: 'refused',
        code: 'invalid_actor',
        status: 422,
        message: 'the gateway acts only on behalf of an API key id (ak_...)',
        param: 'meta.actor',
      };
    return { kind: 'allowed', actor: claim.claimedActor, tenantId: claim.tenantId };
  }
  return { kind: 'allowed', actor: serviceActor(caller), tenantId: claim.tenantId };
}
