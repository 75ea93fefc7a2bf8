import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiKeyStreamName, createApiKey, revokeApiKey } from '@rotor/access';
import type { RotorConfig } from '@rotor/config';
import { parseKekRing } from '@rotor/crypto';
import { endpointStreamName } from '@rotor/domain';
import { GENESIS_HASH, hashEvent, type EventStore } from '@rotor/event-store';
import { waitFor } from '@rotor/testing';
import { AnchorService } from '../../command/src/anchor.service';
import {
  commandService,
  kekRingText,
  meta,
  runCli,
  steppingClock,
  tempStore,
  type TempStore,
} from './cli-fixture';

/**
 * `audit replay` and `audit verify` run as child processes against a store seeded through
 * the command service, then tampered with directly in the sqlite file, as someone with
 * access to the disk could.
 */
describe('cli audit (child process, sqlite)', () => {
  const ring = kekRingText('kek-1');
  let store: TempStore;
  let a: string, b: string, c: string, d: string, e: string;
  const secrets: string[] = [];
  const env = (path = store.path) => ({ SQLITE_PATH: path, ROTOR_KEK_RING: ring });
  const lines = (text: string) => text.trim().split('\n');
  const jsonLines = (text: string) => lines(text).map((line) => JSON.parse(line));

  beforeAll(async () => {
    store = tempStore();
    const events = store.open();
    const clock = steppingClock('2025-01-01T00:00:00Z');
    const { service } = commandService(events, ring, clock);
    const step = async <T>(work: Promise<T>): Promise<T> => {
      const result = await work;
      clock.advance();
      return result;
    };
    const register = async (tenantId: string, url: string, description?: string) => {
      const reply = await step(
        service.register({ meta: meta(), tenantId, url, ...(description ? { description } : {}) }),
      );
      secrets.push(reply.secret!);
      return reply.endpoint.id;
    };
    const rotate = async (endpointId: string, expireCurrentIn: number, actor?: string) =>
      secrets.push(
        (await step(service.rotate({ meta: meta(actor), endpointId, expireCurrentIn }))).secret!,
      );
    const revoke = (endpointId: string, actor?: string) =>
      step(service.revokePrevious({ meta: meta(actor), endpointId }));

    a = await register('acme', 'https://a.example/hook'); // 00:00
    b = await register('globex', 'https://b.example/hook'); // 00:01
    await rotate(a, 600, 'ak_aaaaaaaaaaaaaaaa'); // 00:02
    await revoke(a, 'ak_bbbbbbbbbbbbbbbb'); // 00:03
    await rotate(b, 0); // 00:04: rotated + previous expired, one append
    c = await register('acme', 'https://c.example/hook', 'billing'); // 00:05
    await step(service.delete({ meta: meta('ak_cccccccccccccccc'), endpointId: b })); // 00:06
    d = await register('acme', 'https://d.example/hook');
    await rotate(d, 60);
    await revoke(d);
    e = await register('globex', 'https://e.example/hook');
    await rotate(e, 60);
    await revoke(e);
    await createApiKey(events, {
      tenantId: 'acme',
      scopes: ['audit:read'],
      name: 'auditor',
      actor: 'cli:test',
    });
    await events.close();
  });

  afterAll(() => store.remove());

  /** Every sealed value in the file: none may ever be printed. */
  const sealedValues = (): string[] => {
    const values: string[] = [];
    store.sql(store.path, (db) => {
      for (const { data } of db.prepare('SELECT data FROM events').all() as { data: string }[])
        JSON.parse(data, (key, value: unknown) => {
          if (['ciphertext', 'wrappedKey', 'hashedKey'].includes(key) && typeof value === 'string')
            values.push(value);
          return value;
        });
    });
    return values;
  };

  describe('replay', () => {
    it('prints each endpoint timeline, when, who and what, and never a secret or ciphertext', async () => {
      const run = await runCli(['audit', 'replay'], env());
      expect(run.code).toBe(0);
      const of = (id: string) => lines(run.stdout).filter((line) => line.includes(` ${id} #`));
      const keyId = /key (key_[0-9A-Z]{26}) /;
      const [registered, rotated, revoked] = of(a);
      const firstKey = keyId.exec(registered)![1];
      expect(of(a)).toEqual([
        expect.stringMatching(
          new RegExp(
            `^2025-01-01T00:00:00.000Z  ${a} #0  ak_0123456789abcdef  registered for tenant acme, ` +
              `url https://a.example/hook; key ${firstKey} \\(whsec_….{4}, fingerprint [0-9a-f]{16}\\)$`,
          ),
        ),
        expect.stringMatching(
          new RegExp(
            `^2025-01-01T00:02:00.000Z  ${a} #1  ak_aaaaaaaaaaaaaaaa  rotated to key key_\\w+ ` +
              `\\(whsec_….{4}, fingerprint [0-9a-f]{16}\\); previous key ${firstKey} valid until ` +
              '2025-01-01T00:12:00.000Z \\(grace 600 s\\)$',
          ),
        ),
        `2025-01-01T00:03:00.000Z  ${a} #2  ak_bbbbbbbbbbbbbbbb  previous key ${firstKey} expired at 2025-01-01T00:03:00.000Z: revoked by an operator`,
      ]);
      expect(registered).toContain(`whsec_…${secrets[0].slice(-4)}`);
      expect(rotated).toContain(`whsec_…${secrets[2].slice(-4)}`);
      expect(revoked).toBeDefined();
      expect(of(b).slice(1)).toEqual([
        expect.stringMatching(/^2025-01-01T00:04:00.000Z .* #1 .* expires at once \(grace 0 s\)$/),
        expect.stringMatching(
          /^2025-01-01T00:04:00.000Z .* #2 .* expired at 2025-01-01T00:04:00.000Z: its grace period elapsed$/,
        ),
        `2025-01-01T00:06:00.000Z  ${b} #3  ak_cccccccccccccccc  deleted; its keys were crypto-shredded`,
      ]);
      expect(of(c)).toEqual([
        expect.stringMatching(
          /registered for tenant acme, url https:\/\/c.example\/hook, "billing"; key/,
        ),
      ]);
      expect(run.stderr).toMatch(/^replayed 14 events, 14 shown/m);
      const printed = run.stdout + run.stderr;
      for (const value of [...secrets, ...sealedValues()]) expect(printed).not.toContain(value);
    });

    it('--json: one object per line; --tenant keeps that tenant endpoints only', async () => {
      const run = await runCli(['audit', 'replay', '--tenant', 'acme', '--json'], env());
      expect(run.code).toBe(0);
      const entries = jsonLines(run.stdout);
      expect(entries.map((entry) => [entry.endpoint_id, entry.revision, entry.what])).toEqual([
        [a, 0, 'registered'],
        [a, 1, 'rotated'],
        [a, 2, 'previous_expired'],
        [c, 0, 'registered'],
        [d, 0, 'registered'],
        [d, 1, 'rotated'],
        [d, 2, 'previous_expired'],
      ]);
      expect(entries[1]).toEqual({
        at: '2025-01-01T00:02:00.000Z',
        endpoint_id: a,
        revision: 1,
        position: expect.stringMatching(/^\d+$/),
        actor: 'ak_aaaaaaaaaaaaaaaa',
        request_id: expect.any(String),
        what: 'rotated',
        event: 'SecretRotated',
        version: 3,
        key: {
          key_id: expect.stringMatching(/^key_/),
          signing: 'hmac-sha256',
          hint: expect.stringMatching(/^whsec_…/),
          fingerprint: expect.stringMatching(/^[0-9a-f]{16}$/),
          origin: 'generated',
        },
        previous_key_id: entries[0].key.key_id,
        previous_key_expires_at: '2025-01-01T00:12:00.000Z',
        grace_period_seconds: 600,
      });
      expect(entries[2]).toMatchObject({
        reason: 'revoked',
        expired_key_id: entries[0].key.key_id,
      });
    });

    it('--endpoint and --since narrow the timeline; an unknown endpoint exits 1', async () => {
      const [run, unknown] = await Promise.all([
        runCli(
          ['audit', 'replay', '--endpoint', b, '--since', '2025-01-01T00:04:00Z', '--json'],
          env(),
        ),
        runCli(['audit', 'replay', '--endpoint', `we_${'0'.repeat(32)}`], env()),
      ]);
      expect(run.code).toBe(0);
      expect(jsonLines(run.stdout).map((entry) => [entry.revision, entry.what])).toEqual([
        [1, 'rotated'],
        [2, 'previous_expired'],
        [3, 'deleted'],
      ]);
      expect(unknown).toMatchObject({ code: 1, stderr: expect.stringMatching(/not found/) });
    });
  });

  describe('verify', () => {
    it('given an untouched store, then every chain is intact (exit 0)', async () => {
      const run = await runCli(['audit', 'verify', '--json'], env());
      expect(run.code).toBe(0);
      // 14 events in 5 endpoint streams, 4 data keys (b's was shredded), 1 API key.
      expect(JSON.parse(run.stdout)).toEqual({
        ok: true,
        events: 19,
        streams: 10,
        broken: [],
        notes: [
          expect.stringMatching(/^NOT CHECKED: signatures \(no audit key/),
          expect.stringMatching(/^NOT CHECKED: anchors .* rolled-back store goes unnoticed/),
        ],
      });
    });

    describe('given an unsigned (legacy) file tampered with in five endpoints', () => {
      let path: string;
      const stream = endpointStreamName;
      const where = (id: string, revision: number) =>
        `WHERE stream = '${stream(id)}' AND revision = ${revision}`;

      beforeAll(() => {
        path = store.copy('tampered');
        store.sql(path, (db) => {
          // a: a payload edited.
          db.prepare(
            `UPDATE events SET data = json_set(data, '$.url', 'https://evil.example') ${where(a, 0)}`,
          ).run();
          // b: a row deleted.
          db.prepare(`DELETE FROM events ${where(b, 2)}`).run();
          // c: who did it, edited.
          db.prepare(
            `UPDATE events SET metadata = json_set(metadata, '$.actor', 'someone-else') ${where(c, 0)}`,
          ).run();
          // d: two rows' contents swapped.
          const read = db.prepare(
            `SELECT type, version, data, metadata FROM events WHERE stream = ? AND revision = ?`,
          );
          const write = db.prepare(
            'UPDATE events SET type = ?, version = ?, data = ?, metadata = ? WHERE stream = ? AND revision = ?',
          );
          type Row = { type: string; version: number; data: string; metadata: string };
          const one = read.get(stream(d), 1) as Row;
          const two = read.get(stream(d), 2) as Row;
          write.run(two.type, two.version, two.data, two.metadata, stream(d), 1);
          write.run(one.type, one.version, one.data, one.metadata, stream(d), 2);
          // e: an event rewritten by someone who knows the hashing and recomputed its hash.
          const row = read.get(stream(e), 1) as Row;
          const forged = { ...JSON.parse(row.data), gracePeriodSeconds: 86400 };
          const metadata = JSON.parse(row.metadata);
          metadata.hash = hashEvent(stream(e), 1, {
            type: row.type,
            version: row.version,
            data: forged,
            metadata,
          });
          db.prepare(`UPDATE events SET data = ?, metadata = ? ${where(e, 1)}`).run(
            JSON.stringify(forged),
            JSON.stringify(metadata),
          );
        });
      });

      it('then it names, for each broken stream, the first event altered, removed or reordered (exit 1)', async () => {
        const [json, text] = await Promise.all([
          runCli(['audit', 'verify', '--json'], env(path)),
          runCli(['audit', 'verify'], env(path)),
        ]);
        expect(json.code).toBe(1);
        const report = JSON.parse(json.stdout);
        expect(report).toMatchObject({ ok: false, events: 18, streams: 10 });
        expect(report.broken).toHaveLength(5);
        expect(report.broken).toEqual(
          expect.arrayContaining([
            {
              stream: stream(a),
              revision: 0,
              reason: 'altered',
              message: 'revision 0 does not match its hash',
            },
            { stream: stream(b), revision: 2, reason: 'removed', message: 'revision 2 is missing' },
            {
              stream: stream(c),
              revision: 0,
              reason: 'altered',
              message: 'revision 0 does not match its hash',
            },
            {
              stream: stream(d),
              revision: 1,
              reason: 'reordered',
              message: 'revision 1 follows the event now at revision 2',
            },
            {
              stream: stream(e),
              revision: 1,
              reason: 'altered',
              message:
                'revision 1 was rewritten: its hash no longer matches the prevHash of revision 2',
            },
          ]),
        );
        expect(text.code).toBe(1);
        expect(lines(text.stdout)).toEqual([
          ...report.broken.map(
            (broken: { stream: string; revision: number; reason: string; message: string }) =>
              `BROKEN ${broken.stream} at revision ${broken.revision}: ${broken.reason} (${broken.message})`,
          ),
          'verified 18 events in 10 streams: 5 broken',
        ]);
      });

      it('--endpoint checks that endpoint streams only', async () => {
        const run = await runCli(['audit', 'verify', '--endpoint', d, '--json'], env(path));
        expect(run.code).toBe(1);
        expect(JSON.parse(run.stdout)).toMatchObject({
          ok: false,
          events: 4,
          streams: 2,
          broken: [
            {
              stream: stream(d),
              revision: 1,
              reason: 'reordered',
              message: 'revision 1 follows the event now at revision 2',
            },
          ],
        });
      });
    });
  });
});

/**
 * The threat model of DESIGN §6: someone who can write the store's files but holds neither
 * the KEK ring nor the audit key. The store is written signed (the ring has an audit key)
 * and anchored by the command service's own AnchorService; each copy is then tampered with
 * in one of seven ways, and `audit verify` must name each one with exit 1.
 */
describe('cli audit verify on a signed, anchored store (child process, sqlite)', () => {
  const ring = kekRingText('kek-1', ['kek-1'], { audit: true });
  let store: TempStore;
  let anchorDir: string;
  let anchorFile: string;
  let earlier: string;
  let a: string, b: string, c: string;
  let apiKeyId: string;
  const env = (path: string) => ({
    SQLITE_PATH: path,
    ROTOR_KEK_RING: ring,
    ROTOR_AUDIT_ANCHOR_FILE: anchorFile,
  });
  const stream = endpointStreamName;
  const anchorLines = () =>
    existsSync(anchorFile) ? readFileSync(anchorFile, 'utf8').trim().split('\n').length : 0;

  /** What the command process does at shutdown: anchor the log as it is. */
  const anchor = async (events: EventStore) => {
    const before = anchorLines();
    const service = new AnchorService(
      events,
      parseKekRing(ring),
      { audit: { anchorFile, anchorIntervalSeconds: 3600 } } as RotorConfig,
      () => new Date(),
    );
    service.onApplicationBootstrap();
    await waitFor(() => anchorLines() > before, 'an anchor written once caught up');
    await service.onModuleDestroy();
  };

  beforeAll(async () => {
    store = tempStore();
    anchorDir = mkdtempSync(join(tmpdir(), 'rotor-anchors-'));
    anchorFile = join(anchorDir, 'anchors.jsonl');
    const signer = parseKekRing(ring).audit;
    let events = store.open();
    let { service } = commandService(events, ring);
    a = (await service.register({ meta: meta(), tenantId: 'acme', url: 'https://a.example' }))
      .endpoint.id;
    await service.rotate({ meta: meta(), endpointId: a, expireCurrentIn: 0 }); // 2 events
    b = (await service.register({ meta: meta(), tenantId: 'acme', url: 'https://b.example' }))
      .endpoint.id;
    const { record } = await createApiKey(
      events,
      { tenantId: 'acme', scopes: ['audit:read'], name: 'auditor', actor: 'cli:test' },
      { signer },
    );
    apiKeyId = record.id;
    await revokeApiKey(events, apiKeyId, 'cli:test', { signer });
    await anchor(events);
    await events.close();
    earlier = store.copy('earlier');

    events = store.open();
    ({ service } = commandService(events, ring));
    c = (await service.register({ meta: meta(), tenantId: 'acme', url: 'https://c.example' }))
      .endpoint.id;
    await service.rotate({ meta: meta(), endpointId: c, expireCurrentIn: 60 });
    await service.rotate({ meta: meta(), endpointId: b, expireCurrentIn: 60 });
    await anchor(events);
    await events.close();
  });

  afterAll(() => {
    store.remove();
    rmSync(anchorDir, { recursive: true, force: true });
  });

  type Row = { type: string; version: number; data: string; metadata: string };
  const rehash = (name: string, revision: number, row: Row, data: unknown, prevHash?: string) => {
    const metadata = JSON.parse(row.metadata);
    if (prevHash !== undefined) metadata.prevHash = prevHash;
    metadata.hash = hashEvent(name, revision, {
      type: row.type,
      version: row.version,
      data,
      metadata,
    });
    return metadata as { hash: string };
  };

  it('given the untouched store, then signatures and the last anchor check out (exit 0)', async () => {
    const run = await runCli(['audit', 'verify', '--json'], env(store.path));
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({
      ok: true,
      events: expect.any(Number),
      streams: 7, // 3 endpoints and their data keys, 1 API key
      broken: [],
      notes: [],
    });
  });

  it('given each of seven tamperings, then it names each one (exit 1)', async () => {
    const tampered = (name: string, work: (db: import('better-sqlite3').Database) => void) => {
      const path = store.copy(name);
      store.sql(path, work);
      return path;
    };
    const where = (name: string, revision: number) =>
      `WHERE stream = '${name}' AND revision = ${revision}`;
    const cases: [string, string, { stream: string; reason: string; revision?: number }][] = [
      [
        'an altered event',
        tampered('altered', (db) =>
          db
            .prepare(
              `UPDATE events SET data = json_set(data, '$.url', 'https://evil.example') ${where(stream(a), 0)}`,
            )
            .run(),
        ),
        { stream: stream(a), reason: 'altered', revision: 0 },
      ],
      [
        'a chain recomputed without the key',
        tampered('recomputed', (db) => {
          const read = db.prepare(
            'SELECT type, version, data, metadata FROM events WHERE stream = ? AND revision = ?',
          );
          const write = db.prepare(
            `UPDATE events SET data = ?, metadata = ? WHERE stream = ? AND revision = ?`,
          );
          const first = read.get(stream(c), 0) as Row;
          const data = { ...JSON.parse(first.data), url: 'https://evil.example' };
          const head = rehash(stream(c), 0, first, data);
          write.run(JSON.stringify(data), JSON.stringify(head), stream(c), 0);
          const second = read.get(stream(c), 1) as Row;
          const next = rehash(stream(c), 1, second, JSON.parse(second.data), head.hash);
          write.run(second.data, JSON.stringify(next), stream(c), 1);
        }),
        { stream: stream(c), reason: 'forged', revision: 0 },
      ],
      [
        'a truncated tail (an ApiKeyRevoked deleted)',
        tampered('truncated', (db) =>
          db.prepare(`DELETE FROM events ${where(apiKeyStreamName(apiKeyId), 1)}`).run(),
        ),
        { stream: apiKeyStreamName(apiKeyId), reason: 'truncated', revision: 1 },
      ],
      [
        'a deleted stream',
        tampered('deleted', (db) =>
          db.prepare('DELETE FROM events WHERE stream = ?').run(stream(b)),
        ),
        { stream: stream(b), reason: 'deleted' },
      ],
      [
        'an inserted event (a forged ApiKeyCreated)',
        tampered('inserted', (db) => {
          const name = apiKeyStreamName('ak_ffffffffffffffff');
          const data = {
            id: 'ak_ffffffffffffffff',
            tenantId: 'acme',
            scopes: ['endpoints:write'],
            name: 'backdoor',
            hashedKey: 'f'.repeat(64),
            createdAt: '2025-01-01T00:00:00.000Z',
          };
          const row = {
            type: 'ApiKeyCreated',
            version: 1,
            data: '',
            metadata: JSON.stringify({
              actor: 'cli:admin',
              requestId: 'r',
              occurredAt: '2025-01-01T00:00:00.000Z',
              prevHash: GENESIS_HASH,
            }),
          };
          db.prepare(
            `INSERT INTO events (stream, revision, type, version, data, metadata, recorded_at)
             VALUES (?, 0, 'ApiKeyCreated', 1, ?, ?, '2025-01-01T00:00:00.000Z')`,
          ).run(name, JSON.stringify(data), JSON.stringify(rehash(name, 0, row, data)));
        }),
        { stream: apiKeyStreamName('ak_ffffffffffffffff'), reason: 'inserted', revision: 0 },
      ],
      [
        'reordered events',
        tampered('reordered', (db) => {
          const read = db.prepare(
            'SELECT type, version, data, metadata FROM events WHERE stream = ? AND revision = ?',
          );
          const write = db.prepare(
            'UPDATE events SET type = ?, version = ?, data = ?, metadata = ? WHERE stream = ? AND revision = ?',
          );
          const one = read.get(stream(a), 1) as Row;
          const two = read.get(stream(a), 2) as Row;
          write.run(two.type, two.version, two.data, two.metadata, stream(a), 1);
          write.run(one.type, one.version, one.data, one.metadata, stream(a), 2);
        }),
        { stream: stream(a), reason: 'reordered', revision: 1 },
      ],
      [
        'a store rolled back to before the last anchor',
        earlier,
        { stream: '(store)', reason: 'rolled_back' },
      ],
    ];
    const runs = await Promise.all(
      cases.map(([, path]) => runCli(['audit', 'verify', '--json'], env(path))),
    );
    for (const [index, [what, , expected]] of cases.entries()) {
      const run = runs[index];
      const report = JSON.parse(run.stdout) as { ok: boolean; broken: unknown[] };
      expect({ what, code: run.code, ok: report.ok }).toEqual({ what, code: 1, ok: false });
      expect({ what, broken: report.broken }).toEqual({
        what,
        broken: expect.arrayContaining([expect.objectContaining(expected)]),
      });
    }
    // The text form names the store itself for a rollback.
    const text = await runCli(['audit', 'verify'], env(earlier));
    expect(text.stdout).toMatch(
      /^BROKEN \(store\): rolled_back \(the store ends at position \d+, before the last anchor/m,
    );
  });
});
