import { API_KEYS_BUCKET } from '@rotor/access';
import { BUCKETS, INTEGRATION_EVENTS, SUBJECTS, integrationEventSubject } from '@rotor/contracts';
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

/**
 * read: open an existing bucket, get, watch, list keys. write: read, plus put and delete.
 * own: write, plus create the bucket's stream: one owner per bucket, so nobody else can
 * create a bucket (or any stream) with `sources` that copy another bucket into it.
 */
export type BucketAccess = 'read' | 'write' | 'own';

export interface ServiceNeeds {
  /** Subjects it answers, in its queue group, as `<subject>.*` (the last token: the caller). */
  readonly serves: readonly string[];
  /** Subjects it sends requests to, as `<subject>.<its user name>`. */
  readonly calls: readonly string[];
  readonly buckets: Readonly<Record<string, BucketAccess>>;
  /**
   * Plain JetStream streams it owns: creates, appends to (under the stream's subjects) and
   * reads its last message. The integration events' stream is the projector's.
   */
  readonly ownsStreams?: readonly (typeof INTEGRATION_EVENTS)[];
}

const { expirePreviousSecret, rotateOnSchedule, markRotationDue, ...commandsOfTheApi } =
  SUBJECTS.command;

export const SERVICE_NEEDS: Readonly<Record<RotorService, ServiceNeeds>> = {
  command: {
    serves: Object.values(SUBJECTS.command),
    calls: [],
    buckets: { [BUCKETS.health]: 'write' },
  },
  projector: {
    serves: [],
    calls: [],
    buckets: {
      [BUCKETS.endpoints]: 'own',
      [BUCKETS.keyRing]: 'own',
      [PROJECTOR_STATE_BUCKET]: 'own',
      [API_KEYS_BUCKET]: 'own',
      [BUCKETS.health]: 'own',
    },
    ownsStreams: [INTEGRATION_EVENTS],
  },
  expiry: {
    serves: [],
    // The scheduler: ends grace periods, and rotates Ed25519 endpoints with a policy.
    calls: [expirePreviousSecret, rotateOnSchedule, markRotationDue],
    buckets: { [BUCKETS.endpoints]: 'read', [BUCKETS.health]: 'write' },
  },
  signer: {
    serves: Object.values(SUBJECTS.signer),
    calls: [],
    buckets: { [BUCKETS.keyRing]: 'read', [BUCKETS.health]: 'write' },
  },
  query: {
    serves: Object.values(SUBJECTS.query),
    calls: [],
    buckets: { [BUCKETS.endpoints]: 'read', [BUCKETS.health]: 'write' },
  },
  gateway: {
    serves: [],
    // Everything the REST facade offers; ending a grace period and rotating on schedule are
    // the scheduler's alone.
    calls: [
      ...Object.values(commandsOfTheApi),
      ...Object.values(SUBJECTS.query),
      ...Object.values(SUBJECTS.signer),
    ],
    // No idempotency bucket: idempotency lives in the command path (DESIGN §1).
    buckets: { [API_KEYS_BUCKET]: 'read', [BUCKETS.health]: 'read' },
  },
};

/** Buckets of earlier designs: no user keeps a right to them. */
export const RETIRED_BUCKETS = ['rotor_idempotency'] as const;

export interface NatsOperation {
  readonly kind: 'publish' | 'subscribe';
  /** A concrete subject as the client sends it (a subscription may hold wildcards). */
  readonly subject: string;
  readonly why: string;
}

/** A service's own inbox prefix (nats.js `inboxPrefix`): only it may subscribe below it. */
export const inboxPrefixOf = (service: RotorService): string => `_INBOX_${service}`;

/** A reply inbox as nats.js subscribes it (`<prefix>.<nuid>.*`, one per connection). */
const inboxOf = (service: RotorService): string =>
  `${inboxPrefixOf(service)}.K5ZJ2Y8Q3W1V0T9R7P5N3M.*`;

/** The subject a caller publishes a request to: `<subject>.<caller>` (the caller's user name). */
export const callSubject = (subject: string, caller: RotorService): string =>
  `${subject}.${caller}`;

/** Every subject a bucket user touches, as nats.js 2.x uses them (see deploy/nats/nats.conf). */
export const bucketOperations = (
  service: RotorService,
  bucket: string,
  access: BucketAccess,
): NatsOperation[] => {
  const stream = `KV_${bucket}`;
  const publish = (subject: string, why: string): NatsOperation => ({
    kind: 'publish',
    subject,
    why: `${why} (${bucket}, ${access})`,
  });
  const read = [
    publish('$JS.API.INFO', 'check JetStream when opening a bucket'),
    publish(`$JS.API.STREAM.INFO.${stream}`, 'open the bucket'),
    publish(`$JS.API.DIRECT.GET.${stream}`, 'get a key (direct get)'),
    publish(`$JS.API.DIRECT.GET.${stream}.$KV.${bucket}.we_1`, 'get a key (direct get by subject)'),
    publish(`$JS.API.STREAM.MSG.GET.${stream}`, 'get a key (without allow_direct)'),
    publish(`$JS.API.CONSUMER.CREATE.${stream}`, 'list keys'),
    publish(`$JS.API.CONSUMER.CREATE.${stream}.W8X2.$KV.${bucket}.>`, 'watch the bucket'),
    publish(`$JS.FC.${stream}.ABC.DEF`, 'flow control of a watch'),
    {
      kind: 'subscribe',
      subject: inboxOf(service),
      why: `watch deliveries and API replies (${bucket})`,
    },
  ] as NatsOperation[];
  const write = [...read, publish(`$KV.${bucket}.we_1`, 'put, delete, create a key')];
  if (access === 'read') return read;
  if (access === 'write') return write;
  return [...write, publish(`$JS.API.STREAM.CREATE.${stream}`, 'create the bucket (its owner)')];
};

/** Every subject the owner of a plain stream touches: create, append, read its tail. */
export const streamOperations = (
  service: RotorService,
  stream: typeof INTEGRATION_EVENTS,
): NatsOperation[] => {
  const publish = (subject: string, why: string): NatsOperation => ({
    kind: 'publish',
    subject,
    why: `${why} (stream ${stream.stream})`,
  });
  return [
    publish('$JS.API.INFO', 'check JetStream'),
    publish(`$JS.API.STREAM.INFO.${stream.stream}`, 'find the stream and its last sequence'),
    publish(`$JS.API.STREAM.CREATE.${stream.stream}`, 'create the stream (its owner)'),
    publish(`$JS.API.STREAM.MSG.GET.${stream.stream}`, 'read its last message'),
    publish(integrationEventSubject('acme', 'secret.rotated'), 'append an event'),
    {
      kind: 'subscribe',
      subject: inboxOf(service),
      why: `API replies and acks (${stream.stream})`,
    },
  ];
};

export const natsOperationsOf = (service: RotorService): NatsOperation[] => {
  const needs = SERVICE_NEEDS[service];
  return [
    ...needs.serves.map((subject): NatsOperation => ({
      kind: 'subscribe',
      subject: `${subject}.*`,
      why: 'serve',
    })),
    ...needs.calls.flatMap((subject): NatsOperation[] => [
      { kind: 'publish', subject: callSubject(subject, service), why: 'call' },
      { kind: 'subscribe', subject: inboxOf(service), why: `reply to a call of ${subject}` },
    ]),
    ...Object.entries(needs.buckets).flatMap(([bucket, access]) =>
      bucketOperations(service, bucket, access),
    ),
    ...(needs.ownsStreams ?? []).flatMap((stream) => streamOperations(service, stream)),
  ];
};

/** `ROTOR_NATS_GATEWAY_PASSWORD`: the variable holding a service's NATS password. */
export const passwordVariableOf = (service: RotorService): string =>
  `ROTOR_NATS_${service.toUpperCase()}_PASSWORD`;
