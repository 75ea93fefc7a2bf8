import { json, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { jsonShapeProblem, MAX_JSON_DEPTH } from './json-shape';
import { ProblemException, invalidRequest } from './problem';

const METHODS_WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);

/** `application/json`, or any `application/<x>+json`, parameters aside. */
export const isJsonMediaType = (contentType: string | undefined): boolean => {
  if (!contentType) return false;
  const type = contentType.split(';')[0].trim().toLowerCase();
  return type === 'application/json' || /^application\/[a-z0-9.!#$&^_-]+\+json$/.test(type);
};

const hasBody = (req: Request): boolean =>
  req.headers['transfer-encoding'] !== undefined ||
  (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0');

/** body-parser's failures, as problems; the detail never quotes the body. */
const bodyProblem = (error: { type?: string; status?: number }): ProblemException => {
  switch (error.type) {
    case 'entity.too.large':
      return new ProblemException({
        status: 413,
        code: 'payload_too_large',
        detail: 'the request body is larger than this server accepts',
      });
    case 'charset.unsupported':
    case 'encoding.unsupported':
      return new ProblemException({
        status: 415,
        code: 'unsupported_media_type',
        detail: 'the body must be JSON in UTF-8, optionally gzip- or deflate-encoded',
      });
    case 'entity.parse.failed':
      return new ProblemException({
        status: 400,
        code: 'invalid_json',
        detail: 'the body is not a valid JSON object',
      });
    default:
      return new ProblemException({
        status: 400,
        code: 'bad_request',
        detail: 'the body could not be read',
      });
  }
};

/**
 * JSON bodies only, at most `limitBytes`: 415 for another media type, 413 when too large,
 * 400 when it does not parse, 422 when it is not an object. A request without a body is
 * `{}`. Errors go to `next`, so the problem filter answers them like any other.
 */
export const jsonBodyMiddleware = (limitBytes: number): RequestHandler => {
  const parse = json({ limit: limitBytes, strict: true, type: () => true });
  return (req: Request, res: Response, next: NextFunction) => {
    if (!METHODS_WITH_BODY.has(req.method)) return next();
    if (!hasBody(req)) {
      req.body = {};
      return next();
    }
    if (!isJsonMediaType(req.headers['content-type']))
      return next(
        new ProblemException({
          status: 415,
          code: 'unsupported_media_type',
          detail: 'send the body as application/json',
        }),
      );
    parse(req, res, (error?: unknown) => {
      if (error) return next(bodyProblem(error as { type?: string }));
      if (typeof req.body !== 'object' || req.body === null || Array.isArray(req.body))
        return next(
          invalidRequest([{ param: '', code: 'object', detail: 'the body must be a JSON object' }]),
        );
      // Before any validator walks it (recursively): depth, nulls, prototype names.
      const shape = jsonShapeProblem(req.body);
      if (shape?.kind === 'too_deep')
        return next(
          new ProblemException({
            status: 400,
            code: 'invalid_json',
            detail: `the body is nested deeper than ${MAX_JSON_DEPTH} levels`,
          }),
        );
      if (shape?.kind === 'fields') return next(invalidRequest(shape.problems));
      next();
    });
  };
};
