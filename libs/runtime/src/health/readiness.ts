import type { ProjectionStatus, ReadinessCheck, ServiceHealth } from '@rotor/contracts';
import type { LoopStatus } from '@rotor/messaging';

/**
 * The readiness rules, pure, in one place: what makes one service ready, and how the
 * gateway reads the records every service writes to the health bucket (README: Health).
 */

/** Each service writes its record this often. */
export const HEALTH_REPORT_INTERVAL_MS = 2_000;
/** A record older than this is a service that stopped reporting: not ready. */
export const HEALTH_STALE_AFTER_MS = 10_000;
/** Records of instances gone for good leave the bucket after this (JetStream max age). */
export const HEALTH_RECORD_TTL_SECONDS = 60;
/** Projection lag above either bound makes the projector not ready. */
export const MAX_PROJECTION_LAG_EVENTS = 1_000;
export const MAX_PROJECTION_LAG_SECONDS = 10;

/** The services whose records the gateway expects (the gateway judges itself locally). */
export const REPORTING_SERVICES = ['command', 'projector', 'expiry', 'signer', 'query'] as const;

export const passed = (name: string): ReadinessCheck => ({ name, ok: true });
export const failed = (name: string, detail: string): ReadinessCheck => ({
  name,
  ok: false,
  detail: detail.slice(0, 1024),
});

/** A self-healing loop is ready while it runs; while it backs off, the reason is its error. */
export const loopCheck = (name: string, status: LoopStatus | undefined): ReadinessCheck =>
  !status
    ? failed(name, `${name} has not started`)
    : status.running
      ? passed(name)
      : failed(
          name,
          status.lastError
            ? `${name} stopped (${status.lastError}); retrying, ${status.restarts} restarts so far`
            : `${name} is starting`,
        );

export const projectionCheck = (
  status: ProjectionStatus,
  bounds = { events: MAX_PROJECTION_LAG_EVENTS, seconds: MAX_PROJECTION_LAG_SECONDS },
): ReadinessCheck => {
  const problems: string[] = [];
  if (status.lastError) problems.push(`stopped: ${status.lastError}`);
  if (status.lagEvents > bounds.events)
    problems.push(`${status.lagEvents} events behind (bound ${bounds.events})`);
  if (status.lagSeconds > bounds.seconds)
    problems.push(`${status.lagSeconds.toFixed(1)} s behind (bound ${bounds.seconds} s)`);
  return problems.length === 0
    ? passed('projection_lag')
    : failed('projection_lag', problems.join('; '));
};

export const healthRecord = (
  identity: { service: string; instance: string },
  checks: readonly ReadinessCheck[],
  now: Date,
  projection?: ProjectionStatus,
): ServiceHealth => ({
  service: identity.service,
  instance: identity.instance,
  ready: checks.every((check) => check.ok),
  checks,
  updatedAt: now.toISOString(),
  ...(projection ? { projection } : {}),
});

export interface ServiceVerdict {
  readonly ready: boolean;
  /** Why not (absent when ready). */
  readonly detail?: string;
  /** Instances that reported recently. */
  readonly instances: number;
}

/**
 * One service as the gateway sees it: ready when at least one instance reported within
 * `staleAfterMs` and every instance that did is ready (a queue group routes requests to
 * any of them, so one with a dead loop is as bad as none). Older records are instances
 * that went away and are ignored, unless nothing fresher exists.
 */
export const judgeService = (
  service: string,
  records: readonly ServiceHealth[],
  now: Date,
  staleAfterMs = HEALTH_STALE_AFTER_MS,
): ServiceVerdict => {
  const own = records.filter((record) => record.service === service);
  const ageMs = (record: ServiceHealth) => now.getTime() - Date.parse(record.updatedAt);
  const fresh = own.filter((record) => ageMs(record) <= staleAfterMs);
  if (fresh.length === 0) {
    const newest = Math.min(...own.map(ageMs));
    return {
      ready: false,
      instances: 0,
      detail:
        own.length === 0
          ? `no status from ${service}`
          : `no status from ${service} for ${Math.round(newest / 1000)} s`,
    };
  }
  const failing = fresh.filter((record) => !record.ready);
  if (failing.length === 0) return { ready: true, instances: fresh.length };
  const reasons = failing.flatMap((record) =>
    record.checks
      .filter((check) => !check.ok)
      .map((check) => `${record.instance}: ${check.name}: ${check.detail ?? 'failing'}`),
  );
  return { ready: false, instances: fresh.length, detail: reasons.join('; ') };
};
