import {
  ArgumentsHost,
  Catch,
  ExceptionFilter,
  HttpException,
  Logger,
  NotFoundException,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { PROBLEM_CONTENT_TYPE, routesAt } from '../gateway.constants';
import {
  ProblemException,
  problemType,
  statusTitle,
  type ProblemBody,
  type ProblemInit,
} from './problem';
import type { GatewayRequest } from './gateway-request';

const CODES: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  422: 'invalid_request',
  429: 'rate_limited',
};

const MAX_INSTANCE_LENGTH = 2048;

/**
 * What an exception becomes on the wire. Only `ProblemException`s carry their own words;
 * any other error keeps at most its 4xx status, and anything unexpected is a 500 that says
 * nothing but the request id (the filter logs the rest).
 */
export const problemOf = (
  exception: unknown,
  request: { readonly method: string; readonly path: string },
): ProblemInit & { readonly unexpected?: boolean } => {
  if (exception instanceof ProblemException) return exception.problem;
  if (exception instanceof NotFoundException) return routeNotFound(request);
  const status =
    exception instanceof HttpException ? exception.getStatus() : exposedClientStatus(exception);
  if (status !== undefined && status >= 400 && status < 500)
    return {
      status,
      code: CODES[status] ?? `http_${status}`,
      detail: status === 400 ? 'the request is malformed' : statusTitle(status).toLowerCase(),
    };
  return {
    status: 500,
    code: 'internal_error',
    detail: 'an internal error occurred',
    unexpected: true,
  };
};

/** Nest's router answers unknown routes with a bare NotFoundException. */
const routeNotFound = ({ method, path }: { method: string; path: string }): ProblemInit => {
  const routes = routesAt(path);
  const verb = method === 'HEAD' ? 'GET' : method;
  if (routes.length > 0 && !routes.some((r) => r.method === verb)) {
    const allow = [...new Set(routes.map((r) => r.method))].join(', ');
    return {
      status: 405,
      code: 'method_not_allowed',
      detail: `${method} is not allowed here; allowed: ${allow}`,
      headers: { Allow: allow },
    };
  }
  return { status: 404, code: 'not_found', detail: `no route ${method} ${path}` };
};

/** http-errors style objects (body-parser, the router) that say they may be shown. */
const exposedClientStatus = (error: unknown): number | undefined => {
  if (typeof error !== 'object' || error === null) return undefined;
  const { status, statusCode, expose } = error as Record<string, unknown>;
  const value = typeof status === 'number' ? status : statusCode;
  return typeof value === 'number' && expose === true ? value : undefined;
};

export const problemBody = (
  problem: ProblemInit,
  instance: string,
  requestId?: string,
): ProblemBody => ({
  type: problemType(problem.code),
  title: problem.title ?? statusTitle(problem.status),
  status: problem.status,
  detail: problem.detail,
  instance: instance.slice(0, MAX_INSTANCE_LENGTH),
  code: problem.code,
  ...(problem.param !== undefined ? { param: problem.param } : {}),
  ...(problem.errors !== undefined ? { errors: problem.errors } : {}),
  ...(requestId ? { request_id: requestId } : {}),
  ...problem.extensions,
});

/**
 * The one exception filter of the gateway (bound globally by `configureGateway`): every
 * error, from an unknown route to a service timeout, leaves as `application/problem+json`.
 */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('Gateway');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<Request & GatewayRequest>();
    const response = http.getResponse<Response>();
    const path = request.path ?? request.url ?? '/';
    const problem = problemOf(exception, { method: request.method, path });
    const requestId = request.requestId;
    if (problem.unexpected) {
      const error = exception as Error | undefined;
      this.logger.error(
        `unhandled error (request ${requestId ?? 'unknown'}, ${request.method} ${path}): ${
          error?.name ?? typeof exception
        }: ${error?.message ?? String(exception)}`,
        error?.stack,
      );
    }
    if (response.headersSent) {
      response.end();
      return;
    }
    for (const [name, value] of Object.entries(problem.headers ?? {}))
      response.setHeader(name, value);
    response.setHeader('Cache-Control', 'no-store');
    const body = problemBody(
      problem.unexpected
        ? { ...problem, detail: `an internal error occurred (request ${requestId ?? 'unknown'})` }
        : problem,
      path,
      requestId,
    );
    response.status(problem.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(body));
  }
}
