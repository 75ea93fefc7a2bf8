import { HttpException } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';

/**
 * RFC 9457 problem details, the one shape of every error the gateway answers
 * (`application/problem+json`). `code` is stable and machine-readable; `detail` is for
 * people and never carries a secret, a stack trace or another tenant's data.
 */
export interface FieldProblem {
  /** The request field, as the client named it (`expire_current_in`, `id`, `limit`). */
  readonly param: string;
  readonly code: string;
  readonly detail: string;
}

export interface ProblemBody {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly instance: string;
  readonly code: string;
  readonly param?: string;
  readonly errors?: readonly FieldProblem[];
  readonly request_id?: string;
  readonly [extension: string]: unknown;
}

export interface ProblemInit {
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  readonly title?: string;
  readonly param?: string;
  readonly errors?: readonly FieldProblem[];
  /** Response headers that belong to the error (`Retry-After`, `WWW-Authenticate`). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Extension members (RFC 9457 §3.2), e.g. the checks of a failed health check. */
  readonly extensions?: Readonly<Record<string, unknown>>;
  /**
   * A refusal by the services (a domain rule, a missing endpoint): the request reached
   * them and was answered, so an idempotent retry must get the same answer.
   */
  readonly refusedByService?: boolean;
}

export const problemType = (code: string): string => `urn:rotor:problem:${code}`;

export const statusTitle = (status: number): string => STATUS_CODES[status] ?? 'Error';

export class ProblemException extends HttpException {
  constructor(readonly problem: ProblemInit) {
    super(problem.detail, problem.status);
  }
}

/** A 422 for input the gateway refuses itself, naming each field. */
export const invalidRequest = (errors: readonly FieldProblem[]): ProblemException => {
  const [first] = errors;
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
  return new ProblemException({
    status: 422,
    code: 'invalid_request',
    detail: first ? `${first.detail}${more}` : 'the request is invalid',
    ...(first?.param ? { param: first.param } : {}),
    errors,
  });
};

export const serviceUnavailable = (detail: string): ProblemException =>
  new ProblemException({
    status: 503,
    code: 'service_unavailable',
    detail,
    headers: { 'Retry-After': '1' },
  });
