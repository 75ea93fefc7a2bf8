import { createApiKey } from '@rotor/access';
import { endpointStreamName } from '@rotor/domain';
import { hashEvent } from '@rotor/event-store';
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
 * `audit replay` and `audit verify` against a store seeded through the command service,
 * then tampered with directly in the sqlite file, as someone with access to the disk could.
 */
describe('cli audit (child process, sqlite)', () => {
  const ring = kekRingText('kek-1');
  let store: TempStore;
  let a: string;
  let b: string;
  let c: string;
  const secrets: string[] = [];
  const env = (path = store.path) => ({ SQLITE_PATH: path, ROTOR_KEK_RING: ring });

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
    const registered = async (tenantId: string, url: string, description?: string) => {
      const reply = await step(
        service.register({ meta: meta(), tenantId, url, ...(description ? { description } : {}) }),
      );
      secrets.push(reply.secret);
      return reply.endpoint.id;
    };
    a = await registered('acme', 'https://a.example/hook');
    b = await registered('globex', 'https://b.example/hook');
    secrets.push(
      (
        await step(
          service.rotate({
            meta: meta('ak_aaaaaaaaaaaaaaaa'),
            endpointId: a,
            expireCurrentIn: 600,
          }),
        )
      ).secret,
    );
    await step(service.revokePrevious({ meta: meta('ak_bbbbbbbbbbbbbbbb'), endpointId: a }));
    secrets.push(
      (await step(service.rotate({ meta: meta(), endpointId: b, expireCurrentIn: 0 }))).secret,
    );
    c = await registered('acme', 'https://c.example/hook', 'billing');
    await step(service.delete({ meta: meta('ak_cccccccccccccccc'), endpointId: b }));
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
        JSON.stringify(JSON.parse(data), (key, value: unknown) => {
          if (
            (key === 'ciphertext' || key === 'wrappedKey' || key === 'hashedKey') &&
            typeof value === 'string'
          )
            values.push(value);
          return value;
        });
    });
    return values;
  };

  describe('replay', () => {
    it('prints every endpoint timeline, who did what when, and never a secret or ciphertext', async () => {
      const run = await runCli(['audit', 'replay'], env());
      expect(run).toMatchObject({ code: 0 });
      const lines = run.stdout.trim().split('\n');
      expect(lines).toEqual([
        `2025-01-01T00:00:00.000Z  ${a} #0  ak_0123456789abcdef  registered for tenant acme, url https://a.example/hook; key ${lines[0].match(/key (key_\w+)/)![1]} (whsec_…${secrets[0].slice(-4)}, fingerprint ${lines[0].match(/fingerprint ([0-9a-f]{16})/)![1]})`,
        expect.stringMatching(
          new RegExp(
            `^2025-01-01T00:01:00.000Z  ${b} #0  ak_0123456789abcdef  registered for tenant globex`,
          ),
        ),
        expect.stringMatching(
          new RegExp(
            `^2025-01-01T00:02:00.000Z  ${a} #1  ak_aaaaaaaaaaaaaaaa  rotated to key key_\\w+ \\(whsec_…${secrets[2].slice(-4).replace(/[+/]/g, '\\$&')}, fingerprint [0-9a-f]{16}\\); previous key key_\\w+ valid until 2025-01-01T00:12:00.000Z \\(grace 600 s\\)$`,
          ),
        ),
        expect.stringMatching(
          new RegExp(
            `^2025-01-01T00:03:00.000Z  ${a} #2  ak_bbbbbbbbbbbbbbbb  previous key key_\\w+ expired at 2025-01-01T00:03:00.000Z: revoked by an operator$`,
          ),
        ),
        expect.stringMatching(
          new RegExp(
            `^2025-01-01T00:04:00.000Z  ${b} #1  .* previous key key_\\w+ expires at once \\(grace 0 s\\)$`,
          ),
        ),
        expect.stringMatching(
          new RegExp(
            `^2025-01-01T00:04:00.000Z  ${b} #2  .* expired at 2025-01-01T00:04:00.000Z: its grace period elapsed$`,
          ),
        ),
        expect.stringMatching(
          new RegExp(
            `^2025-01-01T00:05:00.000Z  ${c} #0  .* registered for tenant acme, url https://c.example/hook, "billing"; key`,
          ),
        ),
        `2025-01-01T00:06:00.000Z  ${b} #3  ak_cccccccccccccccc  deleted; its keys were crypto-shredded`,
      ]);
      expect(run.stderr).toMatch(/^replayed 8 events, 8 shown/m);
      const printed = run.stdout + run.stderr;
      for (const value of [...secrets, ...sealedValues()]) expect(printed).not.toContain(value);
      expect(printed).not.toMatch(/ciphertext|whsec_[A-Za-z0-9+/]{8}/);
    });

    it('--json: one object per line; --tenant keeps that tenant endpoints only', async () => {
      const run = await runCli(['audit', 'replay', '--tenant', 'acme', '--json'], env());
      expect(run.code).toBe(0);
      const entries = run.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line));
      expect(entries.map((e) => [e.endpoint_id, e.revision, e.what, e.actor])).toEqual([
        [a, 0, 'registered', 'ak_0123456789abcdef'],
        [a, 1, 'rotated', 'ak_aaaaaaaaaaaaaaaa'],
        [a, 2, 'previous_expired', 'ak_bbbbbbbbbbbbbbbb'],
        [c, 0, 'registered', 'ak_0123456789abcdef'],
      ]);
      expect(entries[1]).toMatchObject({
        at: '2025-01-01T00:02:00.000Z',
        grace_period_seconds: 600,
        previous_key_id: entries[0].key.key_id,
        previous_key_expires_at: '2025-01-01T00:12:00.000Z',
        key: { key_id: expect.stringMatching(/^key_/), hint: expect.stringMatching(/^whsec_…/) },
      });
      expect(entries[2]).toMatchObject({
        reason: 'revoked',
        expired_key_id: entries[0].key.key_id,
      });
      expect(run.stdout).not.toContain('ciphertext');
    });

    it('--endpoint and --since narrow the timeline', async () => {
      const run = await runCli(
        ['audit', 'replay', '--endpoint', b, '--since', '2025-01-01T00:04:00Z', '--json'],
        env(),
      );
      expect(run.code).toBe(0);
      const entries = run.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line));
      expect(entries.map((e) => [e.revision, e.what])).toEqual([
        [1, 'rotated'],
        [2, 'previous_expired'],
        [3, 'deleted'],
      ]);
    });

    it('refuses malformed options with exit 2, and an unknown endpoint with exit 1', async () => {
      const [since, endpoint, unknown] = await Promise.all([
        runCli(['audit', 'replay', '--since', 'yesterday'], env()),
        runCli(['audit', 'replay', '--endpoint', 'we_nope'], env()),
        runCli(['audit', 'replay', '--endpoint', `we_${'0'.repeat(32)}`], env()),
      ]);
      expect(since).toMatchObject({ code: 2, stderr: expect.stringMatching(/--since/) });
      expect(endpoint).toMatchObject({ code: 2, stderr: expect.stringMatching(/--endpoint/) });
      expect(unknown).toMatchObject({ code: 1, stderr: expect.stringMatching(/not found/) });
    });
  });

  describe('verify', () => {
    /** A fresh copy of the seeded file, tampered with by `sql`. */
    const tampered = (name: string, sql: (db: import('better-sqlite3').Database) => void) => {
      const path = store.copy(name);
      store.sql(path, sql);
      return path;
    };
    const row = (stream: string, revision: number) =>
      `stream = '${stream}' AND revision = ${revision}`;

    it('given an untouched store, then every chain is intact (exit 0)', async () => {
      const [text, json] = await Promise.all([
        runCli(['audit', 'verify'], env()),
        runCli(['audit', 'verify', '--json'], env()),
      ]);
      expect(text).toMatchObject({ code: 0 });
      // 3 endpoints, 2 data keys (b's was shredded), 1 API key.
      expect(text.stdout).toBe('verified 11 events in 6 streams: every hash chain is intact\n');
      expect(JSON.parse(json.stdout)).toEqual({ ok: true, events: 11, streams: 6, broken: [] });
    });

    it('given a payload edited in the file, then it names that event as altered (exit 1)', async () => {
      const path = tampered('edited', (db) =>
        db
          .prepare(
            `UPDATE events SET data = json_set(data, '$.url', 'https://evil.example') WHERE ${row(endpointStreamName(a), 0)}`,
          )
          .run(),
      );
      const run = await runCli(['audit', 'verify', '--json'], env(path));
      expect(run.code).toBe(1);
      expect(JSON.parse(run.stdout)).toEqual({
        ok: false,
        events: 11,
        streams: 6,
        broken: [
          {
            stream: endpointStreamName(a),
            revision: 0,
            reason: 'altered',
            message: 'revision 0 does not match its hash',
          },
        ],
      });
    });

    it('given a row deleted, then it names the missing revision as removed', async () => {
      const path = tampered('deleted', (db) =>
        db.prepare(`DELETE FROM events WHERE ${row(endpointStreamName(a), 1)}`).run(),
      );
      const run = await runCli(['audit', 'verify'], env(path));
      expect(run.code).toBe(1);
      expect(run.stdout).toBe(
        `BROKEN ${endpointStreamName(a)} at revision 1: removed (revision 1 is missing)\n` +
          'verified 10 events in 6 streams: 1 broken\n',
      );
    });

    it('given two rows with their contents swapped, then it names the first as reordered', async () => {
      const path = tampered('swapped', (db) => {
        const stream = endpointStreamName(a);
        const read = db.prepare(
          `SELECT type, version, data, metadata FROM events WHERE stream = ? AND revision = ?`,
        );
        const write = db.prepare(
          'UPDATE events SET type = ?, version = ?, data = ?, metadata = ? WHERE stream = ? AND revision = ?',
        );
        const one = read.get(stream, 1) as {
          type: string;
          version: number;
          data: string;
          metadata: string;
        };
        const two = read.get(stream, 2) as typeof one;
        write.run(two.type, two.version, two.data, two.metadata, stream, 1);
        write.run(one.type, one.version, one.data, one.metadata, stream, 2);
      });
      const run = await runCli(['audit', 'verify', '--json'], env(path));
      expect(run.code).toBe(1);
      expect(JSON.parse(run.stdout).broken).toEqual([
        {
          stream: endpointStreamName(a),
          revision: 1,
          reason: 'reordered',
          message: 'revision 1 follows the event now at revision 2',
        },
      ]);
    });

    it('given an event rewritten WITH a recomputed hash, then it names that event, not the next', async () => {
      const path = tampered('rehashed', (db) => {
        const stream = endpointStreamName(a);
        const { type, version, data, metadata } = db
          .prepare(`SELECT type, version, data, metadata FROM events WHERE ${row(stream, 1)}`)
          .get() as { type: string; version: number; data: string; metadata: string };
        const forged = { ...JSON.parse(data), gracePeriodSeconds: 86400 };
        const meta = JSON.parse(metadata);
        meta.hash = hashEvent(stream, 1, { type, version, data: forged, metadata: meta });
        db.prepare(`UPDATE events SET data = ?, metadata = ? WHERE ${row(stream, 1)}`).run(
          JSON.stringify(forged),
          JSON.stringify(meta),
        );
      });
      const run = await runCli(['audit', 'verify', '--json'], env(path));
      expect(run.code).toBe(1);
      expect(JSON.parse(run.stdout).broken).toEqual([
        expect.objectContaining({ stream: endpointStreamName(a), revision: 1, reason: 'altered' }),
      ]);
    });

    it('names every broken stream, each at its first bad event; --endpoint checks one endpoint', async () => {
      const path = tampered('several', (db) => {
        db.prepare(
          `UPDATE events SET metadata = json_set(metadata, '$.actor', 'someone-else') WHERE ${row(endpointStreamName(c), 0)}`,
        ).run();
        db.prepare(`DELETE FROM events WHERE ${row(endpointStreamName(b), 2)}`).run();
        db.prepare(
          `UPDATE events SET data = json_set(data, '$.reason', 'grace_period_elapsed') WHERE ${row(endpointStreamName(b), 3)}`,
        ).run();
      });
      const [all, one, intact] = await Promise.all([
        runCli(['audit', 'verify'], env(path)),
        runCli(['audit', 'verify', '--endpoint', b, '--json'], env(path)),
        runCli(['audit', 'verify', '--endpoint', a], env(path)),
      ]);
      expect(all.code).toBe(1);
      // Streams are reported as their breaks are found in the feed, so compare as a set.
      const lines = all.stdout.trim().split('\n');
      expect(lines.slice(0, -1).sort()).toEqual(
        [
          `BROKEN ${endpointStreamName(b)} at revision 2: removed (revision 2 is missing)`,
          `BROKEN ${endpointStreamName(c)} at revision 0: altered (revision 0 does not match its hash)`,
        ].sort(),
      );
      expect(lines[lines.length - 1]).toBe('verified 10 events in 6 streams: 2 broken');
      expect(one.code).toBe(1);
      expect(JSON.parse(one.stdout)).toMatchObject({
        ok: false,
        streams: 1,
        broken: [{ stream: endpointStreamName(b), revision: 2, reason: 'removed' }],
      });
      expect(intact).toMatchObject({ code: 0 });
    });

    it('says in --help that a truncated tail cannot be detected', async () => {
      const help = await runCli(['audit', 'verify', '--help'], {});
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(/Not detectable: events cut off the END of a stream/);
    });
  });
});
