import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RecordedEvent } from '../event-store.port';
import { appendAnchor, headsRoot, readAnchors } from './anchor';
import {
  createAuditSigner,
  createAuditVerifier,
  generateAuditPrivateKey,
  rememberingVerifier,
  verifierOf,
  type AuditVerifier,
} from './audit-key';
import { chainEvents, GENESIS_HASH, hashEvent } from './hash-chain';
import { authenticityOf, authenticityOfAsync, FeedGuard, trustedPrefix } from './trusted-history';

const STREAM = 'rotorApiKey-ak_0123456789abcdef';
const signer = createAuditSigner(generateAuditPrivateKey());
const policy = { verifier: verifierOf(signer) };

const stream = (count: number, signed = true, firstPosition = 1): RecordedEvent[] =>
  chainEvents(
    STREAM,
    0,
    GENESIS_HASH,
    Array.from({ length: count }, (_, n) => ({
      type: 'ApiKeyCreated',
      version: 1,
      data: { n },
      metadata: { actor: 'cli:test', requestId: `r${n}`, occurredAt: '2026-01-01T00:00:00Z' },
    })),
    signed ? signer : undefined,
  ).map((event, revision) => ({
    ...event,
    stream: STREAM,
    revision,
    position: String(firstPosition + revision),
    recordedAt: '2026-01-01T00:00:00Z',
  }));

/** What someone without the key can do: edit, then recompute every hash from there. */
const recompute = (events: RecordedEvent[], from: number, data: unknown): RecordedEvent[] => {
  const out = [...events];
  for (let i = from; i < out.length; i++) {
    const metadata = {
      ...out[i].metadata,
      prevHash: i === 0 ? GENESIS_HASH : out[i - 1].metadata.hash,
    };
    const next = { ...out[i], data: i === from ? data : out[i].data, metadata };
    out[i] = { ...next, metadata: { ...metadata, hash: hashEvent(STREAM, i, next) } };
  }
  return out;
};

describe('the signed chain (v2)', () => {
  it('given events signed by the writer, then a reader with the public key trusts them all', () => {
    const events = stream(3);
    expect(events[0].metadata).toMatchObject({ chain: 2, auditKey: signer.keyId });
    expect(trustedPrefix(events, policy)).toEqual({ trusted: events });
  });

  it('given a chain recomputed without the key, then the first rewritten event is refused', () => {
    const { refused } = trustedPrefix(recompute(stream(3), 1, { n: 99 }), policy);
    expect(refused).toMatchObject({ revision: 1, reason: 'bad_signature' });
  });

  it('given an unsigned event appended after signed ones, then it is refused', () => {
    const events = stream(2);
    const [forged] = chainEvents(STREAM, 2, events[1].metadata.hash, [
      { type: 'ApiKeyRevoked', version: 1, data: {}, metadata: events[0].metadata },
    ]);
    const { refused } = trustedPrefix(
      [...events, { ...events[1], ...forged, revision: 2, position: '3' }],
      policy,
    );
    expect(refused).toMatchObject({ revision: 2, reason: 'unsigned' });
  });

  it('given unsigned legacy history, then it is trusted only up to the legacy position', () => {
    const legacy = stream(2, false);
    expect(trustedPrefix(legacy, { ...policy, legacyUntil: '2' }).refused).toBeUndefined();
    expect(trustedPrefix(legacy, policy).refused).toMatchObject({
      revision: 0,
      reason: 'unsigned',
    });
  });

  it('given another key, then nothing verifies', () => {
    const other = createAuditVerifier([createAuditSigner(generateAuditPrivateKey()).publicKey]);
    expect(trustedPrefix(stream(1), { verifier: other }).refused?.reason).toBe('bad_signature');
  });

  it('given a feed, then each event is checked by its own signature and its link', () => {
    const guard = new FeedGuard(policy);
    const events = recompute(stream(3), 2, { n: 7 });
    expect(guard.check(events[0])).toBeUndefined();
    expect(guard.check(events[1])).toBeUndefined();
    expect(guard.check(events[2])).toMatchObject({ reason: 'bad_signature' });
  });
});

describe('authenticityOfAsync', () => {
  it('gives what authenticityOf gives, the signature checked on the thread pool', async () => {
    const [first, second] = stream(2);
    const forged = { ...second, metadata: { ...second.metadata, sig: first.metadata.sig } };
    const unknownKey = { ...second, metadata: { ...second.metadata, auditKey: 'audit-0' } };
    const malformed = { ...second, metadata: { ...second.metadata, sig: 'AAAA' } };
    const legacy = { ...stream(1, false)[0], position: '1' };
    const cases = [first, forged, unknownKey, malformed, legacy];
    const legacyPolicy = { ...policy, legacyUntil: '1' };
    expect(await Promise.all(cases.map((e) => authenticityOfAsync(e, legacyPolicy)))).toEqual([
      'signed',
      'bad_signature',
      'bad_signature',
      'bad_signature',
      'legacy',
    ]);
    expect(cases.map((e) => authenticityOf(e, legacyPolicy))).toEqual([
      'signed',
      'bad_signature',
      'bad_signature',
      'bad_signature',
      'legacy',
    ]);
  });
});

describe('rememberingVerifier', () => {
  it('given a signature verified once, then it is not checked again; a bad one is checked every time', () => {
    const inner = verifierOf(signer);
    const checked: boolean[] = [];
    const counting: AuditVerifier = {
      keyIds: inner.keyIds,
      verify: (keyId, message, signature) => {
        const ok = inner.verify(keyId, message, signature);
        checked.push(ok);
        return ok;
      },
    };
    const verifier = rememberingVerifier(counting, 1);
    const sig = signer.sign('m1');
    expect([
      verifier.verify(signer.keyId, 'm1', sig),
      verifier.verify(signer.keyId, 'm1', sig),
    ]).toEqual([true, true]);
    expect(verifier.verify(signer.keyId, 'm2', sig)).toBe(false);
    expect(verifier.verify(signer.keyId, 'm2', sig)).toBe(false);
    // Capacity 1: m3 evicts m1, which is checked again.
    expect(verifier.verify(signer.keyId, 'm3', signer.sign('m3'))).toBe(true);
    expect(verifier.verify(signer.keyId, 'm1', sig)).toBe(true);
    expect(checked).toEqual([true, false, false, true, true]);
  });
});

describe('anchors', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'rotor-anchor-spec-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('given anchors appended, then they read back signed, chained, with their heads', () => {
    const file = join(dir, 'anchors.jsonl');
    const heads = [{ stream: STREAM, revision: 1, hash: 'a'.repeat(64) }];
    appendAnchor(file, '5', heads, signer, new Date());
    const last = appendAnchor(
      file,
      '9',
      [...heads, { stream: 'x', revision: 0, hash: 'b'.repeat(64) }],
      signer,
      new Date(),
    );
    const check = readAnchors(file, policy.verifier);
    expect(check).toMatchObject({
      kind: 'ok',
      anchors: 2,
      last: { position: '9', streams: 2, events: 3 },
    });
    expect(last.root).toBe(
      headsRoot([{ stream: 'x', revision: 0, hash: 'b'.repeat(64) }, ...heads]),
    );
  });

  it('given a line edited or dropped, then the file is reported broken at that line', () => {
    const file = join(dir, 'anchors.jsonl');
    for (const position of ['1', '2', '3']) appendAnchor(file, position, [], signer, new Date());
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    writeFileSync(file, [lines[0], lines[2]].join('\n') + '\n');
    expect(readAnchors(file, policy.verifier)).toMatchObject({ kind: 'broken', line: 2 });
    writeFileSync(
      file,
      [lines[0], lines[1].replace('"position":"2"', '"position":"7"')].join('\n'),
    );
    expect(readAnchors(file, policy.verifier)).toMatchObject({
      kind: 'broken',
      line: 2,
      message: 'bad signature',
    });
  });
});
