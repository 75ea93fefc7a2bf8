import { waitFor } from '@rotor/testing';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';

/**
 * The README's quick start, literally: `npm start` in a fresh data dir, then the
 * register -> rotate -> sign -> verify flow over HTTP, then a restart that must keep
 * everything (and must not print a new development key).
 */
const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });

class AllInOne {
  output = '';
  private child?: ChildProcess;
  private exited?: Promise<number | null>;

  constructor(
    private readonly dataDir: string,
    readonly port: number,
  ) {}

  async start(): Promise<void> {
    this.output = '';
    this.child = spawn('npm', ['start'], {
      cwd: join(__dirname, '..', '..'),
      env: {
        ...process.env,
        ROTOR_DATA_DIR: this.dataDir,
        PORT: String(this.port),
        LOG_LEVEL: 'info',
      },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.child.stderr!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.exited = new Promise((resolve) => this.child!.on('exit', (code) => resolve(code)));
    await waitFor(
      async () => (await fetch(`http://127.0.0.1:${this.port}/health`).catch(() => undefined))?.ok,
      `npm start to answer /health (output so far: ${this.output.slice(-500)})`,
      60_000,
    );
  }

  async stop(): Promise<void> {
    if (!this.child?.pid || this.child.exitCode !== null || this.child.signalCode !== null) return;
    try {
      process.kill(-this.child.pid, 'SIGTERM');
    } catch {
      return; // its process group is gone already
    }
    await this.exited;
  }

  request(
    method: string,
    path: string,
    key: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) {
    return fetch(`http://127.0.0.1:${this.port}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  }
}

describe('npm start (all-in-one)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'rotor-all-in-one-'));
  let rotor: AllInOne;
  /** The development API key printed by the first start. */
  let apiKey: string | undefined;

  beforeAll(async () => {
    rotor = new AllInOne(dataDir, await freePort());
  });
  afterAll(async () => {
    await rotor.stop();
    rmSync(dataDir, { recursive: true, force: true });
    // The audit anchors sit next to the data dir, never inside it (README: Audit).
    rmSync(`${dataDir}-anchors`, { recursive: true, force: true });
  });

  it('runs the quick start flow and keeps its state across a restart', async () => {
    await rotor.start();
    apiKey = /rk_[A-Za-z0-9_-]{43}/.exec(rotor.output)?.[0];
    expect(apiKey).toBeDefined();
    expect(rotor.output).toContain(
      `curl -s -X POST http://localhost:${rotor.port}/v1/webhooks/endpoints`,
    );

    const created = await (
      await rotor.request('POST', '/v1/webhooks/endpoints', apiKey!, {
        url: 'https://receiver.test/hook',
      })
    ).json();
    const rotated = await (
      await rotor.request('POST', `/v1/webhooks/endpoints/${created.id}/secret/rotate`, apiKey!, {
        expire_current_in: 3600,
      })
    ).json();
    const payload = '{"type":"invoice.paid"}';
    const signed = await waitFor(async () => {
      const response = await rotor.request(
        'POST',
        `/v1/webhooks/endpoints/${created.id}/signatures`,
        apiKey!,
        {
          payload,
        },
      );
      const body = await response.json();
      return body.headers?.['webhook-signature']?.split(' ').length === 2
        ? body.headers
        : undefined;
    }, 'a signature with both keys');
    expect(() => new Webhook(created.secret).verify(payload, signed)).not.toThrow();
    expect(() => new Webhook(rotated.secret).verify(payload, signed)).not.toThrow();

    await rotor.stop();
    await rotor.start();
    expect(rotor.output).not.toMatch(/rk_[A-Za-z0-9_-]{43}/);

    // Same key, same endpoint, same two keys: the views were rebuilt from the store.
    const endpoint = await waitFor(async () => {
      const response = await rotor.request('GET', `/v1/webhooks/endpoints/${created.id}`, apiKey!);
      return response.status === 200 ? response.json() : undefined;
    }, 'the endpoint after the restart');
    expect(endpoint.keys.map((k: { key_id: string }) => k.key_id)).toEqual([
      rotated.key_id,
      created.key_id,
    ]);
    const after = await (
      await rotor.request('POST', `/v1/webhooks/endpoints/${created.id}/signatures`, apiKey!, {
        payload,
      })
    ).json();
    expect(() => new Webhook(rotated.secret).verify(payload, after.headers)).not.toThrow();
    expect(() => new Webhook(created.secret).verify(payload, after.headers)).not.toThrow();
  });

  it('keeps an Idempotency-Key across a restart: the retry replays the first rotation', async () => {
    expect(apiKey).toBeDefined();
    const created = await (
      await rotor.request('POST', '/v1/webhooks/endpoints', apiKey!, {
        url: 'https://receiver.test/idempotent',
      })
    ).json();
    const rotate = () =>
      rotor.request(
        'POST',
        `/v1/webhooks/endpoints/${created.id}/secret/rotate`,
        apiKey!,
        { force: true },
        { 'idempotency-key': 'rotate-across-restart' },
      );
    const first = await rotate();
    expect(first.status).toBe(200);
    expect(first.headers.get('idempotency-replayed')).toBeNull();
    const rotated = await first.json();

    await rotor.stop();
    await rotor.start();

    const retry = await rotate();
    expect(retry.status).toBe(200);
    expect(retry.headers.get('idempotency-replayed')).toBe('true');
    const replayed = await retry.json();
    expect(replayed.key_id).toBe(rotated.key_id);
    expect(replayed.secret).toBe(rotated.secret);
    expect(replayed).toEqual(rotated);

    const history = await (
      await rotor.request('GET', `/v1/webhooks/endpoints/${created.id}/events`, apiKey!)
    ).json();
    expect(history.data.map((e: { type: string }) => e.type)).toEqual([
      'EndpointRegistered',
      'SecretRotated',
    ]);
  });
});
