import { assertNever, endpointIdOfStream, isEndpointId, isTenantId } from '@rotor/domain';
import type { RecordedEvent } from '@rotor/event-store';
import { redact, type HistoryEntry } from '../../../query/src/history';
import { usageError } from '../cli-error';

/**
 * An endpoint's history as an auditor reads it: when, who, what. Built on the query
 * service's `redact`, so the CLI never shows more than the API's history does: a key is
 * its id, hint and fingerprint, never its secret or ciphertext.
 */
export type TimelineWhat =
  | 'registered'
  | 'rotated'
  | 'previous_expired'
  | 'deleted'
  /** An HMAC key's rotation period ended (the scheduler's mark). */
  | 'rotation_due'
  /** A type or version this build cannot read: shown without its data. */
  | 'unreadable';

export interface TimelineKey {
  readonly key_id: string;
  /** `hmac-sha256` or `ed25519`. */
  readonly signing: string;
  readonly hint: string;
  readonly fingerprint: string;
  /** `generated` by Rotor or `imported` (supplied by the caller). */
  readonly origin: string;
}

/** One line of `audit replay --json`. snake_case, like the REST API. */
export interface TimelineEntry {
  readonly at: string;
  readonly endpoint_id: string;
  readonly revision: number;
  readonly position: string;
  readonly actor: string;
  readonly request_id: string;
  readonly what: TimelineWhat;
  readonly event: string;
  readonly version: number;
  readonly tenant_id?: string;
  readonly url?: string;
  readonly description?: string;
  /** The platform's own id for the endpoint, when it gave one at registration. */
  readonly external_id?: string;
  readonly key?: TimelineKey;
  /** Registration under a rotation policy. */
  readonly rotation_policy?: { readonly every_seconds: number; readonly grace_seconds: number };
  readonly previous_key_id?: string;
  readonly previous_key_expires_at?: string;
  readonly grace_period_seconds?: number;
  readonly expired_key_id?: string;
  readonly expired_at?: string;
  readonly reason?: string;
  readonly due_key_id?: string;
  readonly due_at?: string;
}

const keyOf = (data: Record<string, unknown>): TimelineKey => {
  const key = data.key as {
    keyId: string;
    algorithm: string;
    hint: string;
    fingerprint: string;
    origin?: string;
  };
  return {
    key_id: key.keyId,
    signing: key.algorithm,
    hint: key.hint,
    fingerprint: key.fingerprint,
    origin: key.origin ?? 'generated',
  };
};

const policyOf = (data: Record<string, unknown>) => {
  const policy = data.rotationPolicy as { everySeconds: number; graceSeconds: number } | undefined;
  return policy === undefined
    ? {}
    : {
        rotation_policy: {
          every_seconds: policy.everySeconds,
          grace_seconds: policy.graceSeconds,
        },
      };
};

/** The timeline entry of a recorded endpoint event. */
export const toTimelineEntry = (recorded: RecordedEvent): TimelineEntry => {
  const base = {
    at: String(recorded.metadata.occurredAt),
    endpoint_id: endpointIdOfStream(recorded.stream) ?? recorded.stream,
    revision: recorded.revision,
    position: recorded.position,
    actor: String(recorded.metadata.actor),
    request_id: String(recorded.metadata.requestId),
    event: recorded.type,
    version: recorded.version,
  };
  let entry: HistoryEntry;
  try {
    entry = redact(recorded);
  } catch {
    return { ...base, what: 'unreadable' };
  }
  const data = entry.data;
  switch (entry.type) {
    case 'EndpointRegistered':
      return {
        ...base,
        what: 'registered',
        tenant_id: data.tenantId as string,
        ...(data.url === undefined ? {} : { url: data.url as string }),
        ...(data.description === undefined ? {} : { description: data.description as string }),
        ...(data.externalId === undefined ? {} : { external_id: data.externalId as string }),
        key: keyOf(data),
        ...policyOf(data),
      };
    case 'SecretRotated':
      return {
        ...base,
        what: 'rotated',
        key: keyOf(data),
        previous_key_id: data.previousKeyId as string,
        previous_key_expires_at: data.previousKeyExpiresAt as string,
        grace_period_seconds: data.gracePeriodSeconds as number,
      };
    case 'PreviousSecretExpired':
      return {
        ...base,
        what: 'previous_expired',
        expired_key_id: data.keyId as string,
        expired_at: data.expiredAt as string,
        reason: data.reason as string,
      };
    case 'EndpointDeleted':
      return { ...base, what: 'deleted' };
    case 'SecretRotationDue':
      return {
        ...base,
        what: 'rotation_due',
        due_key_id: data.keyId as string,
        due_at: data.dueAt as string,
      };
    default:
      // redact() refuses an event it cannot read (-> unreadable above); a type it can read
      // but this timeline does not render is a compile error, never a dump of its data.
      return assertNever(entry.type);
  }
};

const REASONS: Record<string, string> = {
  grace_period_elapsed: 'its grace period elapsed',
  revoked: 'revoked by an operator',
  superseded: 'superseded by a forced rotation',
};

// HMAC, the scheme of every endpoint before Ed25519, goes unnamed, and so does a generated
// key: old timelines read the same, and an imported secret stands out.
const describeKey = (key: TimelineKey): string =>
  `${key.key_id} (${key.origin === 'imported' ? 'imported, ' : ''}` +
  `${key.signing === 'ed25519' ? 'ed25519, ' : ''}${key.hint}, fingerprint ${key.fingerprint})`;

/** What happened, in words. */
export const describeEntry = (entry: TimelineEntry): string => {
  switch (entry.what) {
    case 'registered':
      return (
        `registered for tenant ${entry.tenant_id}` +
        (entry.url === undefined ? '' : `, url ${entry.url}`) +
        (entry.description === undefined ? '' : `, "${entry.description}"`) +
        (entry.external_id === undefined ? '' : `, external id "${entry.external_id}"`) +
        `; key ${describeKey(entry.key!)}` +
        (entry.rotation_policy === undefined
          ? ''
          : `; rotated every ${entry.rotation_policy.every_seconds} s ` +
            `(grace ${entry.rotation_policy.grace_seconds} s)`)
      );
    case 'rotated':
      return (
        `rotated to key ${describeKey(entry.key!)}; previous key ${entry.previous_key_id} ` +
        (entry.grace_period_seconds === 0
          ? 'expires at once (grace 0 s)'
          : `valid until ${entry.previous_key_expires_at} (grace ${entry.grace_period_seconds} s)`)
      );
    case 'previous_expired':
      return (
        `previous key ${entry.expired_key_id} expired at ${entry.expired_at}: ` +
        (REASONS[entry.reason ?? ''] ?? entry.reason)
      );
    case 'deleted':
      return 'deleted; its keys were crypto-shredded';
    case 'rotation_due':
      return `key ${entry.due_key_id} due for rotation since ${entry.due_at} (HMAC: rotate it by hand)`;
    case 'unreadable':
      return `${entry.event} v${entry.version}, which this version cannot read (data not shown)`;
  }
};

/** One line of the text timeline: when, which endpoint and revision, who, what. */
export const formatTimelineEntry = (entry: TimelineEntry): string =>
  `${entry.at}  ${entry.endpoint_id} #${entry.revision}  ${entry.actor}  ${describeEntry(entry)}`;

export interface ReplayFilter {
  readonly endpointId?: string;
  readonly tenantId?: string;
  /** Epoch ms: events that occurred at or after it. */
  readonly since?: number;
}

/**
 * Picks the entries of a replay from the feed, one event at a time. The tenant is only in
 * `EndpointRegistered`, so filtering by tenant keeps the ids of that tenant's endpoints
 * as they are registered: memory grows with that tenant's endpoints, never with events.
 * The first event of a stream is its registration, and the feed is in order, so an
 * endpoint is known before any of its other events arrive.
 */
export class ReplaySelector {
  private readonly tenantEndpoints = new Set<string>();

  constructor(private readonly filter: ReplayFilter) {}

  select(recorded: RecordedEvent): TimelineEntry | undefined {
    const { endpointId, tenantId, since } = this.filter;
    const id = endpointIdOfStream(recorded.stream);
    if (id === undefined || (endpointId !== undefined && id !== endpointId)) return undefined;
    if (tenantId !== undefined) {
      if (
        recorded.type === 'EndpointRegistered' &&
        (recorded.data as { tenantId?: unknown } | null)?.tenantId === tenantId
      )
        this.tenantEndpoints.add(id);
      if (!this.tenantEndpoints.has(id)) return undefined;
    }
    if (since !== undefined && !(Date.parse(String(recorded.metadata.occurredAt)) >= since))
      return undefined;
    return toTimelineEntry(recorded);
  }
}

const ISO_8601 =
  /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2}))?$/;

/** The replay's options checked: a malformed one is a usage error (exit 2). */
export const parseReplayFilter = (options: {
  endpoint?: string;
  tenant?: string;
  since?: string;
}): ReplayFilter => {
  if (options.endpoint !== undefined && !isEndpointId(options.endpoint))
    throw usageError(`--endpoint: not an endpoint id (we_ + 32 hex): ${options.endpoint}`);
  if (options.tenant !== undefined && !isTenantId(options.tenant))
    throw usageError(`--tenant: not a tenant id (1-64 of a-z 0-9 _ -): ${options.tenant}`);
  let since: number | undefined;
  if (options.since !== undefined) {
    since = ISO_8601.test(options.since) ? Date.parse(options.since) : Number.NaN;
    if (Number.isNaN(since))
      throw usageError(
        `--since: not an ISO 8601 date or date-time with an offset: ${options.since} ` +
          '(e.g. 2025-01-31 or 2025-01-31T12:00:00Z)',
      );
  }
  return {
    ...(options.endpoint === undefined ? {} : { endpointId: options.endpoint }),
    ...(options.tenant === undefined ? {} : { tenantId: options.tenant }),
    ...(since === undefined ? {} : { since }),
  };
};
