import type { NextFunction, Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import { HEADERS } from '../gateway.constants';
import type { GatewayRequest } from './gateway-request';

/** A caller's own id is kept when it is short and plain; anything else is replaced. */
const SANE_REQUEST_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

export const requestIdOf = (incoming: unknown): string =>
  typeof incoming === 'string' && SANE_REQUEST_ID.test(incoming) ? incoming : randomUUID();

/** Every response carries `X-Request-Id`; the same id goes into logs and `meta.requestId`. */
export const requestIdMiddleware = (
  req: Request & GatewayRequest,
  res: Response,
  next: NextFunction,
): void => {
  const id = requestIdOf(req.headers['x-request-id']);
  req.requestId = id;
  res.setHeader(HEADERS.requestId, id);
  next();
};
