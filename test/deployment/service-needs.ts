import { API_KEYS_BUCKET } from '@rotor/access';
import { BUCKETS, SUBJECTS } from '@rotor/contracts';
import { PROJECTOR_STATE_BUCKET } from '../../services/projector/src/projector.constants';

/**
 * Who serves, calls, reads and writes what on NATS: the one table the deployment is checked
 * against (deploy/nats/nats.conf users, docker-compose.yml services, start-distributed).
 * Built from SUBJECTS and BUCKETS, so a renamed subject or bucket shows up here; a new one
 * must be given an owner (compose.spec.ts fails until it is).
 */
export const ROTOR_SERVICES = [
  'command',
  'projector',
  'expiry',
  'signer',
  'query',
  'gateway',
] as const;
export type RotorService = (typeof ROTOR_SERVICES)[number];

/** read: open, get, watch, list keys. write: read, plus put, delete, create. */
export type BucketAccess = 'read' | 'write';

export interface ServiceNeeds {
  /** Subjects it answers, in its queue group. */
  readonly serves: readonly string[];
  /** Subjects it sends requests to. */
  readonly calls: readonly string[];
  readonly buckets: Readonly<Record<string, BucketAccess>>;
  /** Buckets whose stream it reconfigures (the idempotency TTL). */
  readonly configures: readonly string[];
}

const { expirePreviousSecret, ...commandsOfTheApi } = SUBJECTS.command;

export const SERVICE_NEEDS: Readonly<Record<RotorService, ServiceNeeds>> = {
  command: {
    serves: Object.values(SUBJECTS.command),
    calls: [],
    buckets: { [BUCKETS.health]: 'write' },
    configures: [],
  },
  projector: {
    serves: [],
    calls: [],
    buckets: {
      [BUCKETS.endpoints]: 'write',
      [BUCKETS.keyRing]: 'write',
      [PROJECTOR_STATE_BUCKET]: 'write',
      [API_KEYS_BUCKET]: 'write',
      [BUCKETS.health]: 'write',
    },
    configures: [],
  },
  expiry: {
    serves: [],
    calls: [expirePreviousSecret],
    buckets: { [BUCKETS.endpoints]: 'read', [BUCKETS.health]: 'write' },
    configures: [],
  },
  signer: {
    serves: Object.values(SUBJECTS.signer),
    calls: [],
    buckets: { [BUCKETS.keyRing]: 'read', [BUCKETS.health]: 'write' },
    configures: [],
  },
  query: {
    serves: Object.values(SUBJECTS.query),
    calls: [],
    buckets: { [BUCKETS.endpoints]: 'read', [BUCKETS.health]: 'write' },
    configures: [],
  },
  gateway: {
    serves: [],
    // Everything the REST facade offers; ending a grace period is the scheduler's alone.
    calls: [
      ...Object.values(commandsOfTheApi),
      ...Object.values(SUBJECTS.query),
      ...Object.values(SUBJECTS.signer),
    ],
    // No bucket of its own: idempotency lives in the command path, in the store.
    buckets: { [API_KEYS_BUCKET]: 'read', [BUCKETS.health]: 'read' },
    configures: [],
  },
};

export interface NatsOperation {
  readonly kind: 'publish' | 'subscribe';
  /** A concrete subject as the client sends it (a subscription may hold wildcards). */
  readonly subject: string;
  readonly why: string;
}

/** A reply inbox as nats.js subscribes it (`_INBOX.<nuid>.*`, one per connection). */
const INBOX = '_INBOX.K5ZJ2Y8Q3W1V0T9R7P5N3M.*';

/** Every subject a bucket user touches, as nats.js 2.x uses them (see deploy/nats/nats.conf). */
export const bucketOperations = (bucket: string, access: BucketAccess): NatsOperation[] => {
  const stream = `KV_${bucket}`;
  const publish = (subject: string, why: string): NatsOperation => ({
    kind: 'publish',
    subject,
    why: `${why} (${bucket}, ${access})`,
  });
  const read = [
    publish('$JS.API.INFO', 'check JetStream when opening a bucket'),
    publish(`$JS.API.STREAM.INFO.${stream}`, 'open the bucket'),
    publish(`$JS.API.STREAM.CREATE.${stream}`, 'create the bucket when missing'),
    publish(`$JS.API.DIRECT.GET.${stream}`, 'get a key (direct get)'),
    publish(`$JS.API.DIRECT.GET.${stream}.$KV.${bucket}.we_1`, 'get a key (direct get by subject)'),
    publish(`$JS.API.STREAM.MSG.GET.${stream}`, 'get a key (without allow_direct)'),
    publish(`$JS.API.CONSUMER.CREATE.${stream}`, 'list keys'),
    publish(`$JS.API.CONSUMER.CREATE.${stream}.W8X2.$KV.${bucket}.>`, 'watch the bucket'),
    publish(`$JS.FC.${stream}.ABC.DEF`, 'flow control of a watch'),
    { kind: 'subscribe', subject: INBOX, why: `watch deliveries and API replies (${bucket})` },
  ] as NatsOperation[];
  return access === 'read' ? read : [...read, publish(`$KV.${bucket}.we_1`, 'put, delete, create')];
};

export const natsOperationsOf = (service: RotorService): NatsOperation[] => {
  const needs = SERVICE_NEEDS[service];
  return [
    ...needs.serves.map((subject): NatsOperation => ({ kind: 'subscribe', subject, why: 'serve' })),
    ...needs.calls.flatMap((subject): NatsOperation[] => [
      { kind: 'publish', subject, why: 'call' },
      { kind: 'subscribe', subject: INBOX, why: `reply to a call of ${subject}` },
    ]),
    ...Object.entries(needs.buckets).flatMap(([bucket, access]) =>
      bucketOperations(bucket, access),
    ),
    ...needs.configures.map((bucket): NatsOperation => ({
      kind: 'publish',
      subject: `$JS.API.STREAM.UPDATE.KV_${bucket}`,
      why: `set the TTL of ${bucket}`,
    })),
  ];
};

/** `ROTOR_NATS_GATEWAY_PASSWORD`: the variable holding a service's NATS password. */
export const passwordVariableOf = (service: RotorService): string =>
  `ROTOR_NATS_${service.toUpperCase()}_PASSWORD`;
