import type { LoggerService } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { routeLabel } from '../gateway.constants';
import type { GatewayMetrics } from '../ops/gateway-metrics';
import type { GatewayRequest } from './gateway-request';

/**
 * One JSON log line and the HTTP metrics per response. What is logged is chosen field by
 * field: never a header (Authorization above all), a body or a query string.
 */
export const accessLogMiddleware =
  (metrics: GatewayMetrics, logger: LoggerService) =>
  (req: Request & GatewayRequest, res: Response, next: NextFunction): void => {
    const started = process.hrtime.bigint();
    const method = req.method;
    const path = req.path;
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = routeLabel(method, path);
      metrics.httpRequests.inc({ method, route, status: String(res.statusCode) });
      metrics.httpDuration.observe({ method, route }, seconds);
      logger.log({
        msg: 'request',
        method,
        route,
        path: path.slice(0, 512),
        status: res.statusCode,
        duration_ms: Math.round(seconds * 1e4) / 10,
        request_id: req.requestId,
        ...(req.caller ? { api_key: req.caller.apiKeyId, tenant: req.caller.tenantId } : {}),
        ...(res.getHeader('Idempotency-Replayed') ? { replayed: true } : {}),
      });
    });
    next();
  };
