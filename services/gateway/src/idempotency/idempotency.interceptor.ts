import {
  CallHandler,
  ExecutionContext,
  Inject,
  Injectable,
  Logger,
  NestInterceptor,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { catchError, from, mergeMap, of, throwError, type Observable } from 'rxjs';
import { HEADERS } from '../gateway.constants';
import type { GatewayRequest } from '../http/gateway-request';
import { invalidRequest, ProblemException } from '../http/problem';
import {
  IDEMPOTENCY_KEY_PATTERN,
  IdempotencyStore,
  type Admission,
  type StoredResponse,
} from './idempotency-store';

export const IDEMPOTENCY_STORE = Symbol('IDEMPOTENCY_STORE');

/**
 * `Idempotency-Key` on POST routes: replays a finished request's response (with
 * `Idempotency-Replayed: true`) without sending anything to the services. What is stored:
 * successes and the services' refusals (4xx), the answers a retry would get again. What is
 * not: 5xx, 503 and the gateway's own refusals, so the client may retry those.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  private readonly logger = new Logger('Idempotency');

  constructor(@Inject(IDEMPOTENCY_STORE) private readonly store: IdempotencyStore) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<Request & GatewayRequest>();
    const response = context.switchToHttp().getResponse<Response>();
    const header = request.headers['idempotency-key'];
    if (request.method !== 'POST' || header === undefined) return next.handle();
    if (typeof header !== 'string' || !IDEMPOTENCY_KEY_PATTERN.test(header))
      return throwError(() =>
        invalidRequest([
          {
            param: HEADERS.idempotencyKey,
            code: 'idempotency_key',
            detail: 'Idempotency-Key must be 1 to 255 printable ASCII characters',
          },
        ]),
      );
    const caller = request.caller;
    if (!caller)
      return throwError(() => new Error('IdempotencyInterceptor runs after ApiKeyGuard'));

    return from(
      this.store.admit({
        apiKeyId: caller.apiKeyId,
        idempotencyKey: header,
        method: request.method,
        path: request.path,
        body: request.body,
      }),
    ).pipe(
      mergeMap((admission) => {
        if (admission.kind === 'replay') return this.replay(admission.response, response);
        return next.handle().pipe(
          mergeMap(async (body: unknown) => {
            await this.complete(
              admission,
              { status: response.statusCode, body },
              request.requestId,
            );
            return body;
          }),
          catchError((error: unknown) =>
            from(this.settleFailure(admission, error, request.requestId)).pipe(
              mergeMap(() => throwError(() => error)),
            ),
          ),
        );
      }),
    );
  }

  private replay(stored: StoredResponse, response: Response): Observable<unknown> {
    response.setHeader(HEADERS.idempotencyReplayed, 'true');
    if ('problem' in stored) return throwError(() => new ProblemException(stored.problem));
    return of(stored.body);
  }

  private async settleFailure(
    admission: Admission & { kind: 'proceed' },
    error: unknown,
    requestId?: string,
  ) {
    if (error instanceof ProblemException && error.problem.refusedByService) {
      const { status, code, detail, param, errors } = error.problem;
      await this.complete(
        admission,
        { status, problem: { status, code, detail, param, errors } },
        requestId,
      );
      return;
    }
    try {
      await this.store.release(admission);
    } catch (releaseError) {
      this.logger.error(
        `could not release an idempotency record (request ${requestId}): ${(releaseError as Error).message}`,
      );
    }
  }

  /**
   * The client must get its response even when it cannot be recorded: losing the one copy
   * of a new secret would be worse than a retry being refused as in flight.
   */
  private async complete(
    admission: Admission & { kind: 'proceed' },
    stored: StoredResponse,
    requestId?: string,
  ): Promise<void> {
    try {
      await this.store.complete(admission, stored);
    } catch (error) {
      this.logger.error(
        `could not record an idempotent response (request ${requestId}): ${(error as Error).message}`,
      );
    }
  }
}
