import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiHeader, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { PROBLEM_CONTENT_TYPE } from '../gateway.constants';
import { ProblemResource } from './problem.resource';

const REQUEST_ID_HEADER = {
  'X-Request-Id': {
    description: 'The request id (the one sent, when sane, else a new UUID).',
    schema: { type: 'string' },
  },
};
const RETRY_AFTER = {
  'Retry-After': { description: 'Seconds to wait.', schema: { type: 'integer' } },
};

const PROBLEMS: Record<number, { description: string; headers?: Record<string, unknown> }> = {
  400: { description: 'The body is not valid JSON (`invalid_json`), or the request is malformed.' },
  401: {
    description:
      'No API key (`unauthenticated`), or an unknown or revoked one (`invalid_api_key`, with `error="invalid_token"` in the challenge).',
    headers: {
      'WWW-Authenticate': {
        description: 'Bearer challenge (RFC 6750).',
        schema: { type: 'string' },
      },
    },
  },
  403: { description: 'The API key lacks the scope this route needs (`insufficient_scope`).' },
  404: {
    description: 'No such endpoint for this tenant (`endpoint_not_found`), deleted ones included.',
  },
  409: {
    description:
      '`rotation_in_progress` (a previous secret is still valid: pass `force`), `endpoint_already_exists`, or `concurrency_conflict` (retry).',
    headers: RETRY_AFTER,
  },
  413: { description: 'The body is larger than MAX_BODY_BYTES (`payload_too_large`).' },
  415: { description: 'The body is not `application/json` (`unsupported_media_type`).' },
  422: {
    description:
      'Invalid input (`invalid_request`: `param` and `errors[]` name the fields, `id` for a malformed endpoint id), or an Idempotency-Key reused with another body (`idempotency_key_reused`).',
  },
  429: {
    description: 'Rate limit of this API key exceeded (`rate_limited`).',
    headers: RETRY_AFTER,
  },
  500: { description: 'Internal error (`internal_error`): the body holds only the request id.' },
  503: {
    description: 'A service did not answer in time (`service_unavailable`): retry.',
    headers: RETRY_AFTER,
  },
};

/** Documents error statuses, each as RFC 9457 problem details. */
export const ApiProblems = (...statuses: number[]) =>
  applyDecorators(
    ApiExtraModels(ProblemResource),
    ...statuses.map((status) =>
      ApiResponse({
        status,
        description: PROBLEMS[status]?.description ?? 'Error.',
        headers: { ...REQUEST_ID_HEADER, ...(PROBLEMS[status]?.headers ?? {}) } as never,
        content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: getSchemaPath(ProblemResource) } } },
      }),
    ),
  );

/** The statuses every authenticated route can answer. */
export const AUTHENTICATED_PROBLEMS = [401, 403, 429, 500, 503];
/** ...and those of a route with a JSON body. */
export const BODY_PROBLEMS = [400, 413, 415, 422];

export const ApiSuccess = (status: number, description: string, type?: unknown) =>
  ApiResponse({
    status,
    description,
    headers: REQUEST_ID_HEADER as never,
    ...(type === undefined ? {} : { type: type as never }),
  });

/** `appendsNothing`: a route that changes nothing (signing), where the key is accepted but moot. */
export const ApiIdempotencyKey = (appendsNothing = false) =>
  ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: appendsNothing
      ? 'Accepted and ignored: signing changes nothing, so a retry signs again (the same headers for the same `msg_id`, `timestamp` and keys). Never `Idempotency-Replayed`.'
      : 'Retrying with the same key and body within 24 h (same API key) replays the first response, secret included (header `Idempotency-Replayed: true`), and changes nothing, across timeouts, crashes, restarts and instances. Another body under the same key: 422 `idempotency_key_reused`. A replay of a since deleted endpoint: 404.',
    schema: { type: 'string', maxLength: 255 },
  });
