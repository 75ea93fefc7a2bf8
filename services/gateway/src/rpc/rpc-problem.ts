import { Logger } from '@nestjs/common';
import type { ErrorBody } from '@rotor/contracts';
import { isRpcUnavailable, RpcReplyError } from '@rotor/messaging';
import { restParam } from '../endpoints/endpoint.mapper';
import { ProblemException, serviceUnavailable, type FieldProblem } from '../http/problem';

/** The refusal inside whatever the RPC client threw, if it carries one. */
export const serviceErrorOf = (error: unknown): ErrorBody | undefined =>
  error instanceof RpcReplyError ? error.body : undefined;

const logger = new Logger('Gateway');

/**
 * A failed request to a service, as the client sees it:
 * - a refusal (4xx: 404 also for another tenant's endpoint, 409 rotation_in_progress,
 *   422 ...) passes through with its code, its message and the field it names;
 * - no reply in time, no responders, or the service's own "unavailable" -> 503 with
 *   Retry-After: nothing happened that a retry could not repeat;
 * - anything else -> 500, without internals (logged here with the request id).
 */
export const problemFromRpcError = (
  error: unknown,
  subject: string,
  requestId: string,
): ProblemException => {
  if (isRpcUnavailable(error)) {
    logger.warn(`no reply on ${subject} (request ${requestId}): ${(error as Error).message}`);
    return serviceUnavailable('a service did not answer in time; retry shortly');
  }
  const refusal = serviceErrorOf(error);
  if (refusal && refusal.status >= 400 && refusal.status < 500 && refusal.status !== 429)
    return new ProblemException({
      status: refusal.status,
      code: refusal.code,
      detail: refusal.message,
      ...(refusal.param ? { param: restParam(refusal.param) } : {}),
      ...(refusal.errors?.length
        ? {
            errors: refusal.errors.map((e): FieldProblem => ({
              param: restParam(e.field),
              code: refusal.code,
              detail: e.message,
            })),
          }
        : {}),
      refusedByService: true,
    });
  if (refusal?.status === 503) {
    logger.warn(`${subject} unavailable (request ${requestId}): ${refusal.code}`);
    return serviceUnavailable('a service is unavailable; retry shortly');
  }
  logger.error(
    `request on ${subject} failed (request ${requestId}): ${
      refusal
        ? `${refusal.status} ${refusal.code}: ${refusal.message}`
        : String((error as Error)?.message ?? error)
    }`,
  );
  return new ProblemException({
    status: 500,
    code: 'internal_error',
    detail: `an internal error occurred (request ${requestId})`,
  });
};
