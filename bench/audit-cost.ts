import 'reflect-metadata';
/**
 * What signing and verifying the audit chain costs (issue 12), in-process, no I/O:
 * - per command: chaining one event unsigned (v1) vs signed (v2, one Ed25519 signature);
 * - per replayed event: the feed check of the services (hash + link + own signature) and
 *   the stream check (hash + link of every event, the head's signature only);
 * - per whole command (rotate through the command service, in-memory sqlite): signed and
 *   verified against neither.
 * Run: node -r ts-node/register/transpile-only -r tsconfig-paths/register bench/audit-cost.ts
 */
import { randomUUID } from 'node:crypto';
import {
  auditPolicyOf,
  createKekRing,
  DataKeyVault,
  generateKekRingText,
  parseKekRing,
} from '@rotor/crypto';
import {
  chainEvents,
  GuardedEventStore,
  SqliteEventStore,
  type EventStore,
  createAuditSigner,
  FeedGuard,
  generateAuditPrivateKey,
  GENESIS_HASH,
  trustedPrefix,
  verifierOf,
  type RecordedEvent,
} from '@rotor/event-store';
import { EndpointCommandsService } from '../services/command/src/endpoint-commands.service';

const signer = createAuditSigner(generateAuditPrivateKey());
const policy = { verifier: verifierOf(signer) };
const STREAM = 'webhookEndpoint-we_0123456789abcdef0123456789abcdef';
const event = (n: number) => ({
  type: 'SecretRotated',
  version: 1,
  data: {
    endpointId: 'we_0123456789abcdef0123456789abcdef',
    key: {
      keyId: `key_${n}`,
      ciphertext: 'x'.repeat(104),
      kekId: 'kek',
      hint: 'h',
      fingerprint: 'f',
    },
    previousKeyId: `key_${n - 1}`,
    previousKeyExpiresAt: '2026-01-01T00:00:00.000Z',
    gracePeriodSeconds: 3600,
  },
  metadata: {
    actor: 'ak_0123456789abcdef',
    requestId: `r${n}`,
    occurredAt: '2026-01-01T00:00:00Z',
  },
});

const time = (label: string, count: number, work: (i: number) => void): number => {
  for (let i = 0; i < Math.min(count, 500); i++) work(i); // warm-up
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) work(i);
  const us = Number(process.hrtime.bigint() - start) / 1e3 / count;
  console.log(`${label.padEnd(58)} ${us.toFixed(1).padStart(7)} µs`);
  return us;
};

const N = 5000;
time('per command: chain 1 event, unsigned (v1)', N, (i) =>
  chainEvents(STREAM, i, GENESIS_HASH, [event(i)]),
);
time('per command: chain 1 event, signed (v2)', N, (i) =>
  chainEvents(STREAM, i, GENESIS_HASH, [event(i)], signer),
);
const recorded = (signed: boolean): RecordedEvent[] =>
  chainEvents(
    STREAM,
    0,
    GENESIS_HASH,
    Array.from({ length: N }, (_, i) => event(i)),
    signed ? signer : undefined,
  ).map((e, revision) => ({
    ...e,
    stream: STREAM,
    revision,
    position: String(revision + 1),
    recordedAt: '2026-01-01T00:00:00Z',
  }));
const signed = recorded(true);
let guard = new FeedGuard(policy);
time('per replayed event: feed check (hash, link, own signature)', N, (i) => {
  if (i === 0) guard = new FeedGuard(policy);
  if (guard.check(signed[i])) throw new Error('refused');
});
const perStream = 25;
const slice = signed.slice(0, perStream);
const perStreamUs = time(
  `stream check of a ${perStream}-event stream (links + head signature)`,
  400,
  () => {
    if (trustedPrefix(slice, policy).refused) throw new Error('refused');
  },
);
console.log(
  `${'  = per replayed event, stream check'.padEnd(58)} ${(perStreamUs / perStream).toFixed(1).padStart(7)} µs`,
);
const five = signed.slice(0, 5);
time('per command: stream check of a 5-event stream (the load)', 2000, () => {
  if (trustedPrefix(five, policy).refused) throw new Error('refused');
});

/**
 * A whole command as the command service runs it (load through the fold cache, decide,
 * seal, chain, append) on an in-memory sqlite store, so the fsync does not hide the
 * difference: signed and verified (audit key in the ring, guarded store) against neither.
 */
const commandCost = async (audited: boolean, count: number): Promise<number> => {
  const ring = parseKekRing(generateKekRingText());
  const kekRing = audited
    ? ring
    : createKekRing(ring.primaryId, { [ring.primaryId]: ring.get(ring.primaryId) });
  const inner = new SqliteEventStore(':memory:');
  const store: EventStore = audited
    ? new GuardedEventStore(inner, auditPolicyOf({}, kekRing)!, () => {
        throw new Error('refused');
      })
    : inner;
  try {
    const service = new EndpointCommandsService(
      store,
      new DataKeyVault(store, kekRing),
      () => new Date(),
      kekRing,
    );
    const meta = () => ({ actor: 'bench', requestId: randomUUID() });
    const { endpoint } = await service.register({ meta: meta(), tenantId: 'bench' });
    const rotate = () =>
      service.rotate({ meta: meta(), endpointId: endpoint.id, expireCurrentIn: 0, force: true });
    for (let i = 0; i < 200; i++) await rotate(); // warm-up
    const start = process.hrtime.bigint();
    for (let i = 0; i < count; i++) await rotate();
    return Number(process.hrtime.bigint() - start) / 1e3 / count;
  } finally {
    await store.close();
  }
};

void (async () => {
  const runs = 3;
  const plain: number[] = [];
  const audited: number[] = [];
  for (let run = 0; run < runs; run++) {
    plain.push(await commandCost(false, 1000));
    audited.push(await commandCost(true, 1000));
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1];
  console.log(
    `${'per command: rotate, unsigned and unverified'.padEnd(58)} ${median(plain).toFixed(1).padStart(7)} µs`,
  );
  console.log(
    `${'per command: rotate, signed and verified'.padEnd(58)} ${median(audited).toFixed(1).padStart(7)} µs`,
  );
})();
