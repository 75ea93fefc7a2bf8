import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import {
  DataKeyVault,
  openSecret,
  parseKekRing,
  signatureHeaders,
  signingKeyOf,
} from '@rotor/crypto';
import { ENDPOINT_STREAM_CATEGORY, upcast, type EndpointRegistered } from '@rotor/domain';
import { START, type EventStore } from '@rotor/event-store';
import { waitFor } from '@rotor/testing';
import { REPO_ROOT, kekRingText, runCli, tempStore, type TempStore } from './cli-fixture';

const whsec = (bytes = 32) => `whsec_${randomBytes(bytes).toString('base64')}`;

interface Line {
  tenant: string;
  url: string;
  secret: string;
  external_id?: string;
  description?: string;
}

/** `count` good lines: half with an external id, half without. */
const lines = (count: number, tenant = 'acme'): Line[] =>
  Array.from({ length: count }, (_, n) => ({
    tenant,
    url: `https://hooks.example/${n}`,
    secret: whsec(24 + (n % 41)),
    ...(n % 2 === 0 ? { external_id: `cust_${n}` } : { description: `customer ${n}` }),
  }));

const jsonl = (rows: readonly (Line | string)[]) =>
  rows.map((row) => (typeof row === 'string' ? row : JSON.stringify(row))).join('\n') + '\n';

/** Every registration in the store, by endpoint id. */
const registrations = async (events: EventStore) => {
  const found = new Map<string, EndpointRegistered['data']>();
  let duplicates = 0;
  for await (const recorded of events.readAll(START, {
    streamPrefixes: [`${ENDPOINT_STREAM_CATEGORY}-`],
  })) {
    const event = upcast(recorded);
    if (event.type !== 'EndpointRegistered') continue;
    if (found.has(event.data.endpointId)) duplicates += 1;
    found.set(event.data.endpointId, event.data);
  }
  return { found, duplicates };
};

/**
 * The import's promise to the platform: each endpoint signs exactly as before. The key is
 * opened from the store with the KEK ring, signs through Rotor's `signatureHeaders`, and the
 * Standard Webhooks reference library verifies that with the ORIGINAL secret from the file.
 */
const expectEverySignsAsBefore = async (events: EventStore, ring: string, rows: Line[]) => {
  const vault = new DataKeyVault(events, parseKekRing(ring));
  const { found } = await registrations(events);
  const bySecret = new Map([...found.values()].map((data) => [data.key.fingerprint, data]));
  const { fingerprintOf } = await import('@rotor/crypto');
  for (const row of rows) {
    const data = bySecret.get(fingerprintOf(row.secret));
    expect(data).toMatchObject({
      tenantId: row.tenant,
      url: row.url,
      key: { origin: 'imported', algorithm: 'hmac-sha256' },
      ...(row.external_id === undefined ? {} : { externalId: row.external_id }),
    });
    const dataKey = vault.unwrap((await vault.get(data!.endpointId))!);
    const plaintext = openSecret(data!.endpointId, data!.key, dataKey);
    const payload = `{"endpoint":"${data!.endpointId}"}`;
    const headers = signatureHeaders({
      msgId: 'msg_import',
      timestamp: Math.floor(Date.now() / 1000),
      payload,
      secrets: [signingKeyOf('hmac-sha256', plaintext)],
    });
    expect(() => new Webhook(row.secret).verify(payload, headers)).not.toThrow();
  }
};

/** No secret of the file, in any encoding a leak would take, in the store's files. */
const expectNoSecretIn = (dir: string, rows: Line[]) => {
  const files = readdirSync(dir)
    .filter((name) => name.startsWith('rotor.sqlite'))
    .map((name) => readFileSync(join(dir, name)));
  expect(files.length).toBeGreaterThan(0);
  for (const row of rows.slice(0, 50)) {
    const body = row.secret.slice('whsec_'.length);
    const raw = Buffer.from(body, 'base64');
    for (const file of files) {
      expect(file.includes(body)).toBe(false);
      expect(file.includes(raw)).toBe(false);
      expect(file.includes(raw.toString('hex'))).toBe(false);
    }
  }
};

describe('cli endpoints import (child process, sqlite)', () => {
  let store: TempStore;
  let ring: string;
  let env: Record<string, string>;
  beforeEach(() => {
    store = tempStore();
    ring = kekRingText('kek-1', ['kek-1'], { audit: true });
    env = { SQLITE_PATH: store.path, ROTOR_DATA_DIR: store.dir, ROTOR_KEK_RING: ring };
  });
  afterEach(() => store.remove());

  it('given a file with a refused line in the middle, when imported twice, then the good lines are imported once, each signs as before, the refusal is named with its line', async () => {
    const good = lines(30);
    const tooShort = { tenant: 'acme', url: 'https://hooks.example/x', secret: whsec(16) };
    const otherSecretSameId = { ...good[0], secret: whsec(32) };
    const rows: (Line | string)[] = [
      ...good.slice(0, 15),
      tooShort,
      `{"tenant":"acme","url":"https://x.example","secret":"${whsec(32)}"`,
      ...good.slice(15),
      otherSecretSameId,
    ];
    const file = join(store.dir, 'import.jsonl');
    writeFileSync(file, jsonl(rows));

    const first = await runCli(['endpoints', 'import', '--progress', file], env);
    const second = await runCli(['endpoints', 'import', '--json', file], env);

    expect(first.code).toBe(1);
    // Progress on stderr: a bar over the file, the rate, what is counted.
    expect(first.stderr).toMatch(/import \[[#-]{24}\]\s+\d+%\s+[\d,]+ endpoints\s+[\d,]+\/s/);
    expect(first.stderr).toMatch(/33 lines in [\d.]+ s \([\d,]+ endpoints\/s\)/);
    expect(first.stdout).toMatch(/^line 16: refused: secret must hold 24 to 64 bytes/m);
    expect(first.stdout).toMatch(/^line 17: refused: not a JSON object$/m);
    expect(first.stdout).toMatch(
      /^line 33: refused: endpoint_already_exists: that external_id is already registered with another secret$/m,
    );
    expect(first.stdout).toMatch(/^imported 30, skipped 0 \(already there\), refused 3$/m);
    expect(second.code).toBe(1);
    const outcomes = second.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { outcome?: string; line?: number; summary?: unknown });
    expect(outcomes.at(-1)).toMatchObject({ summary: { imported: 0, skipped: 30, refused: 3 } });
    expect(outcomes.filter((o) => o.outcome === 'refused').map((o) => o.line)).toEqual([
      16, 17, 33,
    ]);
    for (const output of [first.stdout, first.stderr, second.stdout, second.stderr])
      for (const row of rows)
        if (typeof row !== 'string') expect(output).not.toContain(row.secret.slice(6, 26));
    const events = store.open();
    try {
      const { found, duplicates } = await registrations(events);
      expect(found.size).toBe(30);
      expect(duplicates).toBe(0);
      await expectEverySignsAsBefore(events, ring, good);
    } finally {
      await events.close();
    }
    expectNoSecretIn(store.dir, good);
  });

  it('given an import killed with SIGKILL halfway through a big file, when run again, then it resumes: every line is imported exactly once', async () => {
    const rows = lines(1500, 'globex');
    const file = join(store.dir, 'big.jsonl');
    writeFileSync(file, jsonl(rows));

    // The CLI as an operator runs it, killed by its pid once a fair part is written.
    const child = spawn(
      process.execPath,
      [
        '-r',
        'ts-node/register/transpile-only',
        '-r',
        'tsconfig-paths/register',
        'services/cli/src/main.ts',
        'endpoints',
        'import',
        file,
      ],
      { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'ignore'] },
    );
    let printed = '';
    child.stdout.on('data', (chunk: Buffer) => (printed += chunk.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.once('exit', (_code, signal) => resolve(signal)),
    );
    await waitFor(
      () => (printed.match(/: imported /g) ?? []).length >= 300,
      '300 lines imported',
      60_000,
    );
    process.kill(child.pid!, 'SIGKILL');
    expect(await exited).toBe('SIGKILL');
    const beforeCrash = (printed.match(/: imported /g) ?? []).length;
    expect(beforeCrash).toBeLessThan(rows.length);

    const resumed = await runCli(['endpoints', 'import', file], env);

    expect(resumed.code).toBe(0);
    const summary = /^imported (\d+), skipped (\d+) \(already there\), refused 0$/m.exec(
      resumed.stdout,
    );
    expect(summary).not.toBeNull();
    const [imported, skipped] = [Number(summary![1]), Number(summary![2])];
    // What the killed run appended is skipped (at least what it printed; maybe one more it
    // wrote but had not printed), the rest imported: nothing lost, nothing twice.
    expect(imported + skipped).toBe(rows.length);
    expect(skipped).toBeGreaterThanOrEqual(beforeCrash);
    const events = store.open();
    try {
      const { found, duplicates } = await registrations(events);
      expect(found.size).toBe(rows.length);
      expect(duplicates).toBe(0);
      await expectEverySignsAsBefore(events, ring, rows);
    } finally {
      await events.close();
    }
  }, 180_000);
});
