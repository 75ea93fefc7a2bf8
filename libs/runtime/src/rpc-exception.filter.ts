import { ArgumentsHost, Catch, Logger, RpcExceptionFilter } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { errorReply } from '@rotor/contracts';
import { Observable, throwError } from 'rxjs';

/**
 * Every failure of a NATS handler becomes a typed error reply, never Nest's bare
 * "Internal server error": refusals pass through as they are, the store's known
 * failures get their own codes, and anything else is logged here with its request id
 * and answered without internals. Each RPC controller applies it with
 * `@UseFilters(RotorRpcExceptionFilter)`, so the handlers need no global configuration.
 */
@Catch()
export class RotorRpcExceptionFilter implements RpcExceptionFilter<unknown> {
  private readonly logger = new Logger('RpcErrors');

  catch(exception: unknown, host: ArgumentsHost): Observable<never> {
    if (exception instanceof RpcException) return throwError(() => exception.getError());
    const code = (exception as { code?: unknown } | null)?.code;
    if (code === 'concurrency_conflict')
      return throwError(() =>
        errorReply(
          'concurrency_conflict',
          'the endpoint changed concurrently too often; retry',
          409,
        ),
      );
    if (code === 'event_store_unavailable')
      return throwError(() =>
        errorReply('unavailable', 'the event store is unavailable; retry later', 503),
      );
    // The audit guard refused the stream (and logged it once, naming it): nothing is acted
    // on until an operator restores the store. Unavailable, not an internal error.
    if (code === 'stream_tampered')
      return throwError(() =>
        errorReply(
          'unavailable',
          'the stored history failed its integrity check; it is not acted on until restored',
          503,
        ),
      );
    const data = host.switchToRpc().getData() as { meta?: { requestId?: string } } | undefined;
    const requestId = data?.meta?.requestId ?? 'unknown';
    this.logger.error(
      `unhandled error (request ${requestId}): ${(exception as Error)?.message ?? String(exception)}`,
      (exception as Error)?.stack,
    );
    return throwError(() =>
      errorReply('internal_error', `internal error (request ${requestId})`, 500),
    );
  }
}
