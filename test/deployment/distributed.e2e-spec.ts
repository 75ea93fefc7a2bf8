import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { createApiKey } from '@rotor/access';
import { createEventStore } from '@rotor/event-store';
import { waitFor } from '@rotor/testing';
import {
  describeWithNatsServer,
  freePorts,
  startRotorNatsServer,
  type RotorNatsServer,
} from './rotor-nats-server';
import { ROTOR_SERVICES } from './service-needs';

/**
 * The distributed mode, black-box: `npm run start:distributed` (six processes under
 * ts-node) on a private nats-server and a fresh sqlite file, driven over HTTP only:
 * register, rotate with a 2 s grace period, sign, verify with `standardwebhooks` under both
 * secrets, wait for the grace period to end (the expiry service records it), stop
 * everything with SIGTERM.
 *
 * Twice: over a plain NATS server, then over deploy/nats/nats.conf with each service
 * connecting as its own user (NATS_URL_<SERVICE>), as docker-compose runs them; the second
 * proves the users' permissions cover what the real services do.
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
  const keep = (chunk: Buffer): void => void (output = (output + chunk.toString()).slice(-20_000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  return { child, output: () => output, exited };
}

/** The services' pids, as start-distributed announces them: the last resort of the clean-up. */
const servicePids = (output: string): number[] =>
  [...output.matchAll(/started \w+ \(pid (\d+)\)/g)].map((match) => Number(match[1]));

const isRunning = (script: Script): boolean =>
  script.child.exitCode === null && script.child.signalCode === null;

const signaturesOf = (header: string): string[] =>
  header.split(' ').filter((part) => part.length > 0);

describeWithNatsServer('distributed mode (npm run start:distributed)', () => {
  describe.each([
    ['a plain NATS server', false],
    ['deploy/nats/nats.conf, one NATS user per service', true],
  ] as const)('over %s', (_name, rotorUsers) => {
    let nats: RotorNatsServer | undefined;
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
      nats = await startRotorNatsServer({ rotorUsers });
      dataDir = mkdtempSync(join(tmpdir(), 'rotor-distributed-'));
      const sqlitePath = join(dataDir, 'rotor.sqlite');
      // No CLI in this test: the key's events go into the store the services will share.
      const store = createEventStore({ kind: 'sqlite', sqlitePath });
      try {
        ({ plaintextKey: apiKey } = await createApiKey(store, {
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
        }));
      } finally {
        await store.close();
      }
      const [port] = await freePorts(1);
      base = `http://127.0.0.1:${port}`;
      script = startDistributed({
        PORT: String(port),
        NATS_URL: nats.url,
        ...Object.fromEntries(
          ROTOR_SERVICES.map((s) => [`NATS_URL_${s.toUpperCase()}`, nats!.urlOf(s)]),
        ),
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
      await nats?.stop();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
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
  });
});
