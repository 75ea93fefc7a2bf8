import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { HEADERS } from '../gateway.constants';
import { invalidRequest } from '../http/problem';

/**
 * `Idempotency-Key` on POST routes (DESIGN §5). The gateway keeps nothing: it passes the
 * key to the command service as `meta.idempotencyKey`, which executes a command at most
 * once per (API key, key) within 24 h, atomically with its append, and answers a retry
 * with the first execution's reply marked `replayed` (the gateway then sets
 * `Idempotency-Replayed: true`). So a retry is deduplicated across timeouts, crashes,
 * restarts and gateway instances alike. The same key with another request is 422
 * `idempotency_key_reused` from the command service.
 *
 * POST .../signatures appends nothing: a retry signs again (the same headers when the
 * request gives `msg_id` and `timestamp`, and the keys have not changed), never replayed.
 */

/** 1 to 255 printable ASCII characters, as the IETF draft and common practice allow. */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x20-\x7e]{1,255}$/;

/** The request's Idempotency-Key when it is a POST with a well-formed one. */
export const idempotencyKeyOf = (request: {
  readonly method: string;
  readonly headers: Record<string, string | string[] | undefined>;
}): string | undefined => {
  const header = request.headers['idempotency-key'];
  return request.method === 'POST' &&
    typeof header === 'string' &&
    IDEMPOTENCY_KEY_PATTERN.test(header)
    ? header
    : undefined;
};

/** Tells the client its POST was answered by an earlier execution. */
export const markReplayed = (response: {
  setHeader(name: string, value: string): unknown;
}): void => {
  response.setHeader(HEADERS.idempotencyReplayed, 'true');
};

/**
 * Refuses a malformed Idempotency-Key on a POST (422 naming the header) before any work.
 * A guard, listed after authentication, rather than an interceptor: a route with no
 * interceptor skips Nest's interceptor chain (rxjs and an async-hooks binding per request,
 * some 8% of a REST sign's time in its profile), and the order of answers stays the same.
 */
@Injectable()
export class IdempotencyKeyGuard implements CanActivate {
  canActivate(context: ExecutionContext): true {
    const request = context.switchToHttp().getRequest<Request>();
    const header = request.headers['idempotency-key'];
    if (request.method !== 'POST' || header === undefined || idempotencyKeyOf(request)) return true;
    throw invalidRequest([
      {
        param: HEADERS.idempotencyKey,
        code: 'idempotency_key',
        detail: 'Idempotency-Key must be 1 to 255 printable ASCII characters',
      },
    ]);
  }
}
