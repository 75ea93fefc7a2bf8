import { connect, type ConnectionOptions, type NatsConnection } from 'nats';
import { assertCallerToken, inboxPrefixOf } from '../wire';

export type { NatsConnection } from 'nats';

/**
 * Reconnect settings of every NATS connection (nats.js never gives up): once up, a
 * service rides out a NATS restart instead of dying; only the first connect fails fast.
 */
export const NATS_RECONNECT_OPTIONS = {
  reconnect: true,
  maxReconnectAttempts: -1,
  // Between two attempts on the same server: a restarted server is found within half a second.
  reconnectTimeWait: 500,
  waitOnFirstConnect: false,
} as const satisfies Partial<ConnectionOptions>;

export interface NatsConnectOptions {
  readonly url: string;
  /** Shown by the server (`nats server report connections`): `rotor-<service>`. */
  readonly name: string;
  /** Deadline of the first connect, in ms (default 5000). */
  readonly timeoutMs?: number;
  /**
   * Who this connection calls as (`natsCallerOf`): its replies arrive under the inbox
   * prefix `_INBOX_<caller>`. Without one, the user name in `url`, else nats.js's `_INBOX`.
   */
  readonly caller?: string;
}

/** The first connect failed: NATS_URL points nowhere, or the server refused us. */
export class NatsUnavailableError extends Error {
  constructor(
    readonly url: string,
    cause: unknown,
  ) {
    super(
      `cannot connect to NATS at ${url}: ${describe(cause)}. ` +
        'Is nats-server running (with -js) and NATS_URL right?',
      { cause },
    );
    this.name = 'NatsUnavailableError';
  }
}

/**
 * nats.js does not read `user:password@` from a server URL: split it into the `user`/`pass`
 * options it does read (docker-compose gives each service its own NATS user this way).
 */
export function natsServerAndCredentials(url: string): {
  servers: string;
  user?: string;
  pass?: string;
} {
  const match = /^([a-z]+:\/\/)([^@/]*)@(.*)$/.exec(url);
  if (!match) return { servers: url };
  const [, scheme, credentials, rest] = match;
  const colon = credentials.indexOf(':');
  const user = decodeURIComponent(colon < 0 ? credentials : credentials.slice(0, colon));
  const pass = colon < 0 ? undefined : decodeURIComponent(credentials.slice(colon + 1));
  return { servers: `${scheme}${rest}`, user, ...(pass === undefined ? {} : { pass }) };
}

/**
 * The caller token of a process (wire.ts): its NATS user name when `url` carries one, else
 * `fallback` (the service name, on a server without authentication).
 */
export function natsCallerOf(url: string, fallback: string): string {
  return assertCallerToken(natsServerAndCredentials(url).user ?? fallback);
}

export async function connectNats(options: NatsConnectOptions): Promise<NatsConnection> {
  const url = redactCredentials(options.url);
  const credentials = natsServerAndCredentials(options.url);
  const caller = options.caller ?? credentials.user;
  const inbox = caller === undefined ? {} : { inboxPrefix: inboxPrefixOf(caller) };
  try {
    return await connect({
      ...credentials,
      ...inbox,
      name: options.name,
      timeout: options.timeoutMs ?? 5_000,
      ...NATS_RECONNECT_OPTIONS,
    });
  } catch (cause) {
    throw new NatsUnavailableError(url, cause);
  }
}

/**
 * Graceful shutdown: stop taking messages, let in-flight callbacks and buffered publishes
 * finish, then close. Safe to call twice.
 */
export async function drainNats(connection: NatsConnection): Promise<void> {
  if (connection.isClosed() || connection.isDraining()) return connection.closed().then(() => {});
  await connection.drain();
}

function describe(cause: unknown): string {
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return typeof code === 'string' && !cause.message.includes(code)
      ? `${cause.message} (${code})`
      : cause.message;
  }
  return String(cause);
}

/** `nats://user:pass@host` must not end up in an error message or a log line. */
export function redactCredentials(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}
