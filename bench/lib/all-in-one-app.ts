import { join } from 'node:path';
import { freePort, removeDir, startTsProcess, tempDir, type Child } from './processes';

/** The all-in-one app (`npm start`'s entry) in a process of its own, ready and keyed. */
export interface AllInOneApp {
  readonly child: Child;
  readonly base: string;
  /** Authorization with the development API key, and JSON. */
  readonly headers: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * Starts the all-in-one app on a fresh data dir and a free port, with durable commits as in
 * production, the rate limit out of the way (its default, 600/min and a burst of 100 per API
 * key, would answer a benchmark's load with 429) and logs at warn. Resolves once /health
 * answers 200, with the development key it printed on its first start.
 */
export const startAllInOne = async (
  label: string,
  options: { env?: Record<string, string>; nodeArgs?: readonly string[] } = {},
): Promise<AllInOneApp> => {
  const dir = tempDir(`rest-${label}`);
  const port = await freePort();
  const child = startTsProcess(
    `all-in-one (${label})`,
    'services/all-in-one/src/main.ts',
    {
      PORT: String(port),
      ROTOR_DATA_DIR: dir,
      SQLITE_PATH: join(dir, 'rotor.sqlite'),
      LOG_LEVEL: 'warn',
      RATE_LIMIT_PER_MINUTE: '1000000',
      RATE_LIMIT_BURST: '1000000',
      ...options.env,
    },
    options.nodeArgs,
  );
  const stop = async () => {
    await child.stop();
    removeDir(dir);
  };
  try {
    // The development API key, printed once on the first start, before the app listens.
    const keyLine = await child.waitForLine(/^\s+rk_[A-Za-z0-9_-]{43}\s*$/, 60_000);
    const base = `http://127.0.0.1:${port}`;
    await waitForHealth(base, 60_000);
    return {
      child,
      base,
      headers: { authorization: `Bearer ${keyLine.trim()}`, 'content-type': 'application/json' },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
};

/** Polls GET /health every 100 ms until it answers 200. */
export const waitForHealth = async (base: string, timeoutMs: number): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const health = await fetch(`${base}/health`).catch(() => undefined);
    if (health?.ok) return;
    if (Date.now() > deadline) throw new Error(`no 200 from ${base}/health in ${timeoutMs} ms`);
    await new Promise((wake) => setTimeout(wake, 100));
  }
};

/** Registers `count` HMAC endpoints, 8 at a time; their ids in order. */
export const registerEndpoints = async (
  app: Pick<AllInOneApp, 'base' | 'headers'>,
  count: number,
): Promise<string[]> => {
  const ids: string[] = [];
  for (let i = 0; i < count; i += 8)
    ids.push(
      ...(await Promise.all(
        Array.from({ length: Math.min(8, count - i) }, async (_, j) => {
          const response = await fetch(`${app.base}/v1/webhooks/endpoints`, {
            method: 'POST',
            headers: app.headers,
            body: JSON.stringify({ url: `https://receiver.test/hooks/${i + j}` }),
          });
          if (response.status !== 201)
            throw new Error(`register: ${response.status} ${await response.text()}`);
          return ((await response.json()) as { id: string }).id;
        }),
      )),
    );
  return ids;
};

/** The app's event-loop delay p99 since the previous scrape (prom-client resets it), ms. */
export const loopDelayP99 = async (base: string): Promise<number> => {
  const text = await (await fetch(`${base}/metrics`)).text();
  const line = /^rotor_gateway_nodejs_eventloop_lag_p99_seconds (\S+)$/m.exec(text);
  if (!line) throw new Error('no nodejs_eventloop_lag_p99_seconds in /metrics');
  return Number(line[1]) * 1000;
};
