import { RpcException } from '@nestjs/microservices';
import { errorReply } from '@rotor/contracts';
import type { DomainError, DomainErrorCode } from '@rotor/domain';

/**
 * How a refused command reads on the wire. The statuses are HTTP's, so the gateway can pass
 * them through and a NATS caller knows the class of error without a table of its own.
 */
export const DOMAIN_ERROR_STATUS: Record<DomainErrorCode, number> = {
  endpoint_not_found: 404,
  endpoint_already_exists: 409,
  rotation_in_progress: 409,
  expiry_not_due: 409,
  rotation_not_due: 409,
  invalid_rotation_policy: 422,
  duplicate_key_id: 409,
  invalid_grace_period: 422,
  invalid_command: 422,
};

export const domainErrorReply = (error: DomainError) =>
  errorReply(
    error.code,
    error.message,
    DOMAIN_ERROR_STATUS[error.code],
    error.param ? { param: error.param } : undefined,
  );

export const rejectWith = (error: DomainError): never => {
  throw new RpcException(domainErrorReply(error));
};

export const notFound = (what: string): never => {
  throw new RpcException(errorReply('endpoint_not_found', `${what} not found`, 404));
};
