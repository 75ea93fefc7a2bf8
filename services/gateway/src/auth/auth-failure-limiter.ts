import { Injectable } from '@nestjs/common';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { ProblemException } from '../http/problem';
import { TokenBuckets } from './token-bucket';

/** Requests without a valid API key, per client address: a burst, then one a second. */
export const AUTH_FAILURE_LIMIT = { burst: 20, perMinute: 60 } as const;

/**
 * Requests without a valid API key cost the client address a token; once its bucket is
 * empty, every request from it is refused with 429 before any work (no body parsed, no key
 * looked up), until it refills. Valid keys never touch it, so they are limited per key only.
 */
@Injectable()
export class AuthFailureLimiter {
  private readonly buckets: TokenBuckets;

  constructor(now: () => number = Date.now) {
    this.buckets = new TokenBuckets(AUTH_FAILURE_LIMIT, now);
  }

  /** Seconds to wait when the address has no failure left; undefined when it may try. */
  retryAfter(address: string): number | undefined {
    const result = this.buckets.peek(address);
    return result.allowed ? undefined : result.retryAfterSeconds;
  }

  failed(address: string): void {
    this.buckets.take(address);
  }

  /**
   * The first middleware of the gateway. `isValidKey`: a request that carries a valid API
   * key is never held back by failures from its address (another client behind the same
   * address must not lock it out). It is asked only once the address is held back: looking
   * a key up costs two SHA-256, which every request would otherwise pay twice (the guard
   * looks it up again), for an answer that changes nothing while the address may try.
   */
  middleware(isValidKey: (bearer: string) => boolean = () => false): RequestHandler {
    return (req: Request, _res: Response, next: NextFunction) => {
      const seconds = this.retryAfter(clientAddress(req));
      if (seconds === undefined) return next();
      const header = req.headers.authorization;
      const bearer =
        typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7) : '';
      if (bearer !== '' && isValidKey(bearer)) return next();
      next(
        new ProblemException({
          status: 429,
          code: 'rate_limited',
          detail: `too many requests without a valid API key; retry in ${seconds} s`,
          headers: { 'Retry-After': String(seconds) },
        }),
      );
    };
  }
}

/** The peer address (no trust in X-Forwarded-For: behind a proxy, set Express's trust proxy). */
export const clientAddress = (req: { ip?: string; socket?: { remoteAddress?: string } }): string =>
  req.ip ?? req.socket?.remoteAddress ?? 'unknown';
