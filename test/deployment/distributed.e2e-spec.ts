import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { createApiKey } from '@rotor/access';
import { generateKekRingText, parseKekRing } from '@rotor/crypto';
import { createEventStore } from '@rotor/event-store';
import { waitFor } from '@rotor/testing';
import {
  describeWithNatsServer,
  freePorts,
  startRotorNatsServer,
  type RotorNatsServer,
} from './rotor-nats-server';
import { RUNTIME_NEEDS } from '@rotor/runtime';
import { passwordVariableOf, ROTOR_SERVICES, type RotorService } from './service-needs';

/**
 * The distributed mode, black-box: `npm run start:distributed` (six processes under
 * ts-node) and a fresh sqlite file, driven over HTTP only: register, rotate with a 2 s grace
 * period, sign, verify with `standardwebhooks` under both secrets, wait for the grace period
 * to end (the expiry service records it), stop everything with SIGTERM. Along the way: each
 * service holds only its own configuration (no KEK ring but in command and signer, no store
 * file open in the gateway or the scheduler), and no password appears in any line of output,
 * in /health or in /metrics.
 *
 * Twice, both authenticated on deploy/nats/nats.conf: as `npm run start:distributed` runs by
 * default (it starts nats-server itself, with passwords it generates into the data dir), then
 * against a server already running (NATS_URL, passwords from ROTOR_NATS_<SERVICE>_PASSWORD),
 * as docker-compose runs them. Both prove the users' permissions cover what the services do.
 */
const ROOT = join(__dirname, '..', '..');
const STARTUP_TIMEOUT_MS = 120_000;
const STEP_TIMEOUT_MS = 30_000;

interface Script {
  readonly child: ChildProcess;
  /** The last lines of its output, for failure messages. */
  output(): string;
  readonly exited: Promise<number | null>;
}

function startDistributed(env: Record<string, string>): Script {
  const child = spawn(
    process.execPath,
    [
      '-r',
      'ts-node/register/transpile-only',
      '-r',
      'tsconfig-paths/register',
      'scripts/start-distributed.ts',
    ],
    { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  // All of it, for the password check; bounded, so a runaway log cannot exhaust memory.
  const keep = (chunk: Buffer): void =>
    void (output = (output + chunk.toString()).slice(-20_000_000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  return { child, output: () => output, exited };
}

/** A service's pid, as start-distributed announces it. */
const pidOf = (output: string, service: string): number => {
  const match = new RegExp(`started ${service} \\(pid (\\d+)\\)`).exec(output);
  if (!match) throw new Error(`start-distributed did not announce ${service}`);
  return Number(match[1]);
};

/** The names of a process's environment variables (Linux /proc). */
const environmentOf = (pid: number): string[] =>
  readFileSync(`/proc/${pid}/environ`, 'utf8')
    .split('\0')
    .filter((entry) => entry.length > 0)
    .map((entry) => entry.slice(0, entry.indexOf('=')));

/** The files a process holds open (Linux /proc). */
const openFilesOf = (pid: number): string[] =>
  readdirSync(`/proc/${pid}/fd`).flatMap((fd) => {
    try {
      return [readlinkSync(`/proc/${pid}/fd/${fd}`)];
    } catch {
      return []; // closed meanwhile
    }
  });

/** The services' pids, as start-distributed announces them: the last resort of the clean-up. */
const servicePids = (output: string): number[] =>
  [...output.matchAll(/started \w+ \(pid (\d+)\)/g)].map((match) => Number(match[1]));

const isRunning = (script: Script): boolean =>
  script.child.exitCode === null && script.child.signalCode === null;

const signaturesOf = (header: string): string[] =>
  header.split(' ').filter((part) => part.length > 0);

describeWithNatsServer('distributed mode (npm run start:distributed)', () => {
  describe.each([
    ['the nats-server it starts itself, on deploy/nats/nats.conf (the default)', true],
    ['an already running nats-server on deploy/nats/nats.conf (NATS_URL)', false],
  ] as const)('over %s', (_name, managed) => {
    let nats: RotorNatsServer | undefined;
    let passwords: Record<RotorService, string>;
    let dataDir: string;
    let script: Script | undefined;
    let base: string;
    let apiKey: string;

    const call = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(`${base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${apiKey}`,
          'content-type': 'application/json',
          'idempotency-key': randomUUID(),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : undefined };
    };

    /** Waits for a condition of the running system; fails at once, with its output, if it died. */
    const until = async <T>(
      probe: () => Promise<T | undefined>,
      what: string,
      timeoutMs = STEP_TIMEOUT_MS,
    ) => {
      let value: T | undefined;
      try {
        await waitFor(
          async () => {
            if (!isRunning(script!)) return true;
            value = await probe();
            return value !== undefined;
          },
          what,
          timeoutMs,
        );
      } catch (error) {
        throw new Error(
          `${(error as Error).message}\n--- start-distributed output ---\n${script!.output()}`,
        );
      }
      if (value === undefined)
        throw new Error(`start-distributed exited while waiting for ${what}:\n${script!.output()}`);
      return value;
    };

    beforeAll(async () => {
      dataDir = mkdtempSync(join(tmpdir(), 'rotor-distributed-'));
      const [natsPort, monitorPort] = await freePorts(2);
      let natsSettings: Record<string, string>;
      if (managed)
        natsSettings = { NATS_PORT: String(natsPort), NATS_MONITOR_PORT: String(monitorPort) };
      else {
        nats = await startRotorNatsServer({ rotorUsers: true });
        natsSettings = {
          NATS_URL: nats.url,
          ...Object.fromEntries(
            ROTOR_SERVICES.map((s) => [passwordVariableOf(s), nats!.credentialsOf(s).pass]),
          ),
        };
      }
      const sqlitePath = join(dataDir, 'rotor.sqlite');
      // The ring the launcher would generate, made first so the key below is signed with its
      // audit key, as the CLI signs it: the services refuse unsigned events.
      const ring = generateKekRingText();
      writeFileSync(join(dataDir, 'kek-ring.json'), ring, { mode: 0o600 });
      // No CLI in this test: the key's events go into the store the services will share.
      const store = createEventStore({ kind: 'sqlite', sqlitePath });
      try {
        ({ plaintextKey: apiKey } = await createApiKey(
          store,
          {
            tenantId: 'tenant-distributed',
            scopes: [
              'endpoints:read',
              'endpoints:write',
              'secrets:rotate',
              'signatures:create',
              'audit:read',
            ],
            name: 'distributed e2e',
            actor: 'test:distributed-e2e',
          },
          { signer: parseKekRing(ring).audit },
        ));
      } finally {
        await store.close();
      }
      const [port] = await freePorts(1);
      base = `http://127.0.0.1:${port}`;
      script = startDistributed({
        PORT: String(port),
        ...natsSettings,
        ROTOR_DATA_DIR: dataDir,
        SQLITE_PATH: sqlitePath,
        LOG_LEVEL: 'warn',
      });
      let lastHealth = 'none yet';
      try {
        await until(
          async () => {
            const response = await fetch(`${base}/health`).catch(() => undefined);
            if (response) lastHealth = `${response.status} ${await response.text()}`;
            return response?.ok ? true : undefined;
          },
          'the gateway to report healthy',
          STARTUP_TIMEOUT_MS,
        );
      } catch (error) {
        throw new Error(`${(error as Error).message}\nlast answer of /health: ${lastHealth}`);
      }
      const file = join(dataDir, 'nats-passwords.json');
      passwords = managed
        ? (JSON.parse(readFileSync(file, 'utf8')) as Record<RotorService, string>)
        : (Object.fromEntries(
            ROTOR_SERVICES.map((s) => [s, nats!.credentialsOf(s).pass]),
          ) as Record<RotorService, string>);
      expect(existsSync(file)).toBe(managed);
    }, STARTUP_TIMEOUT_MS + 30_000);

    afterAll(async () => {
      if (script && isRunning(script)) {
        script.child.kill('SIGKILL');
        await script.exited;
      }
      for (const pid of servicePids(script?.output() ?? ''))
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      if (managed)
        try {
          // The nats-server start-distributed started, should it outlive a failed run.
          process.kill(pidOf(script?.output() ?? '', 'nats'), 'SIGKILL');
        } catch {
          // already gone, or never started
        }
      await nats?.stop();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
      if (dataDir) rmSync(`${dataDir}-anchors`, { recursive: true, force: true });
    }, 60_000);

    it(
      'registers, rotates with a grace period, signs under both secrets, then only the new one',
      async () => {
        // The key reaches the gateway through the projector and the rotor_api_keys bucket.
        await until(async () => {
          const reply = await call('GET', '/v1/webhooks/endpoints');
          return reply.status === 200 ? reply : undefined;
        }, 'the gateway to accept the API key written to the store');

        // The command service may still be starting: retry what did not reach it.
        const registered = await until(async () => {
          const reply = await call('POST', '/v1/webhooks/endpoints', {
            url: 'https://example.com/hooks',
          });
          if (reply.status >= 500) return undefined;
          return reply;
        }, 'the first registration');
        expect(registered.status).toBe(201);
        const { id, secret: oldSecret } = registered.body as { id: string; secret: string };

        const rotated = await call('POST', `/v1/webhooks/endpoints/${id}/secret/rotate`, {
          expire_current_in: 2,
        });
        expect(rotated.status).toBe(200);
        const { secret: newSecret } = rotated.body as { secret: string };
        expect(newSecret).not.toBe(oldSecret);

        const payload = JSON.stringify({ type: 'invoice.paid', id: randomUUID() });
        const sign = () => call('POST', `/v1/webhooks/endpoints/${id}/signatures`, { payload });
        type Headers = Record<'webhook-id' | 'webhook-timestamp' | 'webhook-signature', string>;
        const headersWith = (count: number) =>
          until(
            async () => {
              const reply = await sign();
              const headers = (reply.body as { headers?: Headers } | undefined)?.headers;
              return reply.status === 200 &&
                headers &&
                signaturesOf(headers['webhook-signature']).length === count
                ? headers
                : undefined;
            },
            `a signature with ${count} entr${count === 1 ? 'y' : 'ies'}`,
          );

        // The signer learns the new key from the projector's bucket: wait for it, then both verify.
        const during = await headersWith(2);
        expect(new Webhook(newSecret).verify(payload, during)).toEqual(JSON.parse(payload));
        expect(new Webhook(oldSecret).verify(payload, during)).toEqual(JSON.parse(payload));

        // The grace period ends: only the new secret signs.
        const after = await headersWith(1);
        expect(new Webhook(newSecret).verify(payload, after)).toEqual(JSON.parse(payload));
        expect(() => new Webhook(oldSecret).verify(payload, after)).toThrow();

        // And the expiry service recorded it: ExpirePreviousSecret went over NATS to the command service.
        const history = await until(async () => {
          const reply = await call('GET', `/v1/webhooks/endpoints/${id}/events`);
          const types = ((reply.body as { data?: { type: string }[] } | undefined)?.data ?? []).map(
            (e) => e.type,
          );
          return types.includes('PreviousSecretExpired') ? types : undefined;
        }, 'PreviousSecretExpired in the audit history');
        expect(history).toEqual(['EndpointRegistered', 'SecretRotated', 'PreviousSecretExpired']);
      },
      STEP_TIMEOUT_MS * 5,
    );

    it('gives each service only its own configuration: the KEK ring to command and signer, the store and the audit public key to those that read it', () => {
      const output = script!.output();
      const sqlite = join(dataDir, 'rotor.sqlite');
      const holdings = Object.fromEntries(
        ROTOR_SERVICES.map((service) => {
          const pid = pidOf(output, service);
          const variables = environmentOf(pid);
          return [
            service,
            {
              kekRing: variables.some((name) => name.startsWith('ROTOR_KEK_RING')),
              storeSettings: variables.some((name) =>
                ['SQLITE_PATH', 'EVENT_STORE', 'ESDB_CONNECTION_STRING'].includes(name),
              ),
              storeOpen: openFilesOf(pid).some((file) => file.startsWith(sqlite)),
              // The generated ring has an audit key: readers verify with its public half.
              auditPublicKey: variables.includes('ROTOR_AUDIT_PUBLIC_KEY'),
              otherPasswords: variables.filter((name) => /^ROTOR_NATS_\w+_PASSWORD$/.test(name)),
            },
          ];
        }),
      );
      expect(holdings).toEqual(
        Object.fromEntries(
          ROTOR_SERVICES.map((service) => [
            service,
            {
              kekRing: RUNTIME_NEEDS[service].kekRing,
              storeSettings: RUNTIME_NEEDS[service].eventStore,
              storeOpen: RUNTIME_NEEDS[service].eventStore,
              auditPublicKey: RUNTIME_NEEDS[service].eventStore,
              otherPasswords: [],
            },
          ]),
        ),
      );
    });

    it('never shows a NATS password in /health or /metrics', async () => {
      for (const path of ['/health', '/metrics']) {
        const text = await (await fetch(`${base}${path}`)).text();
        for (const [service, password] of Object.entries(passwords))
          expect([path, service, text.includes(password)]).toEqual([path, service, false]);
      }
    });

    it(
      'stops every service cleanly on SIGTERM',
      async () => {
        script!.child.kill('SIGTERM');
        const code = await script!.exited;
        expect({ code, output: code === 0 ? '' : script!.output() }).toEqual({
          code: 0,
          output: '',
        });
        for (const pid of servicePids(script!.output()))
          expect(() => process.kill(pid, 0)).toThrow();
      },
      STEP_TIMEOUT_MS,
    );

    it('printed no password in any line of any service, from start to stop', () => {
      const output = script!.output();
      expect(output).toMatch(/started gateway/);
      for (const [service, password] of Object.entries(passwords))
        expect([service, output.includes(password)]).toEqual([service, false]);
    });
  });
});
