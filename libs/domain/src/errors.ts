/**
 * Domain errors are values, not exceptions: `decide` returns one when a rule refuses a
 * command. Each has a stable `code` that the edges map to a status (HTTP) or an error
 * reply (NATS); the mapping lives at the edges, never here.
 */
export type DomainErrorCode =
  | 'endpoint_not_found'
  | 'endpoint_already_exists'
  | 'rotation_in_progress'
  | 'invalid_grace_period'
  | 'expiry_not_due'
  | 'rotation_not_due'
  | 'invalid_rotation_policy'
  | 'duplicate_key_id'
  | 'invalid_command';

export class DomainError {
  readonly kind = 'DomainError' as const;
  constructor(
    readonly code: DomainErrorCode,
    readonly message: string,
    /** The offending input field, when one is to blame. */
    readonly param?: string,
  ) {}
}

export const isDomainError = (value: unknown): value is DomainError => value instanceof DomainError;
