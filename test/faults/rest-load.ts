import { randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { waitFor } from '@rotor/testing';

/**
 * Concurrent REST load as a careful client produces it: every POST carries an
 * Idempotency-Key, and a 5xx, a 429, a "still in flight" 409, a timeout or a broken
 * connection is retried with the SAME key and the SAME body until a final answer (a 2xx or
 * another 4xx), within bounds. Each client registers a fresh endpoint, rotates it a few
 * times, then moves on to a new one. Everything sent and received is recorded, for the
 * checks against the store.
 */
export type OperationKind = 'register' | 'rotate';

export interface Attempt {
  /** The HTTP status, or why there was none. */
  readonly outcome: number | 'timeout' | 'network';
  readonly at: number;
}

export interface FinalAnswer {
  readonly status: number;
  readonly body: Record<string, unknown> | undefined;
  readonly replayed: boolean;
  readonly at: number;
}

export interface Operation {
  readonly client: number;
  readonly kind: OperationKind;
  readonly idempotencyKey: string;
  readonly path: string;
  readonly body: Record<string, unknown>;
  /** For a rotation, the endpoint; for a registration, the id its answer gave. */
  endpointId?: string;
  readonly attempts: Attempt[];
  final?: FinalAnswer;
  readonly startedAt: number;
}

/** An endpoint its client is done with: its newest secret can no longer change. */
export interface FinishedEndpoint {
  readonly endpointId: string;
  readonly keyId: string;
  readonly secret: string;
  readonly at: number;
}

export interface Reply {
  readonly outcome: number | 'timeout' | 'network';
  readonly body?: Record<string, unknown>;
  readonly replayed: boolean;
}

export class RestClient {
  constructor(
    readonly baseUrl: string,
    private readonly apiKey: string,
    private readonly timeoutMs: number,
  ) {}

  async send(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    idempotencyKey?: string,
  ): Promise<Reply> {
    try {
      const response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.apiKey}`,
          'content-type': 'application/json',
          ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      const text = await response.text();
      let parsed: Record<string, unknown> | undefined;
      try {
        parsed = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
      } catch {
        parsed = { unparsed: text.slice(0, 200) };
      }
      return {
        outcome: response.status,
        body: parsed,
        replayed: response.headers.get('idempotency-replayed') === 'true',
      };
    } catch (error) {
      const name = (error as Error)?.name;
      return {
        outcome: name === 'TimeoutError' || name === 'AbortError' ? 'timeout' : 'network',
        replayed: false,
      };
    }
  }

  /** Is the signer's newest signature (the first entry) made with `secret`? */
  async signsWith(endpointId: string, secret: string): Promise<boolean> {
    const payload = JSON.stringify({ type: 'fault.probe', id: randomUUID() });
    const reply = await this.send('POST', `/v1/webhooks/endpoints/${endpointId}/signatures`, {
      payload,
    });
    const headers = reply.body?.headers as Record<string, string> | undefined;
    if (reply.outcome !== 200 || !headers) return false;
    const first = (headers['webhook-signature'] ?? '').split(' ')[0];
    const expected = new Webhook(secret).sign(
      headers['webhook-id'],
      new Date(Number(headers['webhook-timestamp']) * 1000),
      payload,
    );
    return first === expected;
  }
}

/** A final answer: the same request would get it again, retrying is pointless. */
export const isFinal = (reply: Reply): boolean => {
  if (typeof reply.outcome !== 'number') return false;
  if (reply.outcome >= 500 || reply.outcome === 429) return false;
  // "The first request with this key is still running" (idempotency_request_in_flight today):
  // not an answer to this request. Other 409s (a conflict of the domain) are final.
  return !(reply.outcome === 409 && /in_flight/.test(String(reply.body?.code)));
};

export interface LoadOptions {
  readonly client: RestClient;
  readonly clients: number;
  readonly rotationsPerEndpoint: number;
  /** Grace period of the load's rotations: short, so the expiry service has work. */
  readonly graceSeconds: number;
  /** Resolves when no fault is being injected (the faulted process is back). */
  readonly settled: () => Promise<void>;
  /** Bounds: operations per client, attempts per operation, time per operation. */
  readonly maxOperationsPerClient: number;
  readonly maxAttempts: number;
  readonly operationDeadlineMs: number;
}

/** Retries sent at once; later ones first wait for the fault to end and the gateway to answer. */
const IMMEDIATE_RETRIES = 2;

export class RestLoad {
  readonly operations: Operation[] = [];
  readonly finished: FinishedEndpoint[] = [];
  private stopping = false;
  private aborted = false;
  private loops: Promise<void>[] = [];
  private inFlightCount = 0;
  private healthy?: Promise<void>;

  constructor(private readonly options: LoadOptions) {}

  get inFlight(): number {
    return this.inFlightCount;
  }

  get acknowledged(): number {
    return this.operations.filter((op) => op.final && op.final.status < 300).length;
  }

  start(): void {
    this.loops = Array.from({ length: this.options.clients }, (_, client) => this.run(client));
  }

  /** Lets every client finish the operation it is on (retries included), then resolves. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.loops);
  }

  /** For a clean-up after a failure: no more attempts, whatever is unfinished. */
  async abort(): Promise<void> {
    this.aborted = true;
    await this.stop();
  }

  /** Sends an operation with its key until a final answer or a bound; records it all. */
  async execute(
    client: number,
    kind: OperationKind,
    path: string,
    body: Record<string, unknown>,
    endpointId?: string,
    idempotencyKey: string = randomUUID(),
  ): Promise<Operation> {
    const operation: Operation = {
      client,
      kind,
      idempotencyKey,
      path,
      body,
      endpointId,
      attempts: [],
      startedAt: Date.now(),
    };
    this.operations.push(operation);
    const deadline = operation.startedAt + this.options.operationDeadlineMs;
    this.inFlightCount += 1;
    try {
      while (operation.attempts.length < this.options.maxAttempts && Date.now() < deadline) {
        if (operation.attempts.length > IMMEDIATE_RETRIES) await this.pace();
        if (this.aborted) break;
        const reply = await this.options.client.send('POST', path, body, idempotencyKey);
        operation.attempts.push({ outcome: reply.outcome, at: Date.now() });
        if (isFinal(reply)) {
          operation.final = {
            status: reply.outcome as number,
            body: reply.body,
            replayed: reply.replayed,
            at: Date.now(),
          };
          if (kind === 'register' && typeof reply.body?.id === 'string')
            operation.endpointId = reply.body.id;
          break;
        }
      }
    } finally {
      this.inFlightCount -= 1;
    }
    return operation;
  }

  /** Before a late retry: the fault is over, and the gateway answers /health. */
  private async pace(): Promise<void> {
    await this.options.settled();
    if (this.aborted) return;
    // One health poll shared by every waiting client, paced: it must not load the system.
    this.healthy ??= waitFor(
      async () => (await fetch(`${this.options.client.baseUrl}/health`).catch(() => undefined))?.ok,
      'the gateway to answer /health before a retry',
      30_000,
      100,
    )
      .then(() => undefined)
      .catch(() => undefined) // the attempt bound decides; a retry may still succeed
      .finally(() => (this.healthy = undefined));
    await this.healthy;
  }

  private async run(client: number): Promise<void> {
    const { maxOperationsPerClient, rotationsPerEndpoint, graceSeconds } = this.options;
    let sent = 0;
    for (let endpoint = 0; !this.stopping && sent < maxOperationsPerClient; endpoint += 1) {
      const registered = await this.execute(client, 'register', '/v1/webhooks/endpoints', {
        url: `https://receiver.test/c${client}/e${endpoint}`,
      });
      sent += 1;
      if (registered.final?.status !== 201 || !registered.endpointId) continue;
      const id = registered.endpointId;
      let newest = {
        keyId: String(registered.final.body?.key_id),
        secret: String(registered.final.body?.secret),
      };
      for (let r = 0; r < rotationsPerEndpoint && !this.stopping; r += 1) {
        const rotated = await this.execute(
          client,
          'rotate',
          `/v1/webhooks/endpoints/${id}/secret/rotate`,
          { expire_current_in: graceSeconds, force: true },
          id,
        );
        sent += 1;
        if (rotated.final?.status !== 200) break;
        newest = {
          keyId: String(rotated.final.body?.key_id),
          secret: String(rotated.final.body?.secret),
        };
      }
      this.finished.push({ endpointId: id, ...newest, at: Date.now() });
    }
  }
}
