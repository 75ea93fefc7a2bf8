import { Agent, request } from 'node:http';

export interface PacedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
}

export interface PacedResult {
  /** Response time from the moment each request was due, ms, ascending. */
  readonly fromDue: number[];
  /** Response time from the moment it was written, ms, ascending. */
  readonly fromSent: number[];
  readonly non2xx: number;
  readonly errors: number;
  /** Requests completed per second, over the whole run. */
  readonly achievedRate: number;
  readonly statusCounts: Record<string, number>;
  /**
   * How late the generator itself wrote requests (written - due), ms, p99: above a few ms
   * the generator, not the server, is what fell behind, and the run says nothing.
   */
  readonly sendLagP99: number;
}

/**
 * An open-loop load generator: request i is due at start + i / rate, whatever happened to
 * the ones before, on a pool of keep-alive connections. Latency is counted from the due
 * time, so a server that falls behind shows it (no coordinated omission). autocannon's
 * `overallRate` cannot do this: it gives each connection a quota per second, which its
 * connections spend back to back at the start of every second.
 *
 * With `warmupSeconds`, the load runs that much longer first and those requests are sent
 * but not counted: a generator fresh out of start-up (JIT, first connections) runs late for
 * a moment, and that lateness is its own, not the server's.
 */
export const pacedLoad = async (options: {
  readonly url: string;
  readonly rate: number;
  readonly seconds: number;
  readonly warmupSeconds?: number;
  readonly maxSockets?: number;
  readonly next: (i: number) => PacedRequest;
}): Promise<PacedResult> => {
  const target = new URL(options.url);
  const agent = new Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 256 });
  const uncounted = Math.round(options.rate * (options.warmupSeconds ?? 0));
  const total = uncounted + Math.round(options.rate * options.seconds);
  const intervalNs = 1e9 / options.rate;
  const fromDue: number[] = [];
  const fromSent: number[] = [];
  const sendLag: number[] = [];
  const statusCounts: Record<string, number> = {};
  let non2xx = 0;
  let errors = 0;
  let fired = 0;
  let settled = 0;
  let counted = 0;
  const start = process.hrtime.bigint();
  const elapsedNs = () => Number(process.hrtime.bigint() - start);

  await new Promise<void>((done) => {
    const fire = (i: number) => {
      const due = i * intervalNs;
      const spec = options.next(i);
      const sent = elapsedNs();
      const finish = (status?: number) => {
        const end = elapsedNs();
        if (++settled === total) done();
        if (i < uncounted) return;
        counted += 1;
        sendLag.push((sent - due) / 1e6);
        if (status === undefined) errors += 1;
        else {
          statusCounts[status] = (statusCounts[status] ?? 0) + 1;
          if (status < 200 || status > 299) non2xx += 1;
          fromDue.push((end - due) / 1e6);
          fromSent.push((end - sent) / 1e6);
        }
      };
      const req = request(
        {
          host: target.hostname,
          port: target.port,
          method: spec.method,
          path: spec.path,
          headers: spec.body
            ? { ...spec.headers, 'content-length': String(Buffer.byteLength(spec.body)) }
            : spec.headers,
          agent,
        },
        (res) => {
          res.resume();
          res.once('end', () => finish(res.statusCode));
          res.once('error', () => finish());
        },
      );
      req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
      req.once('error', () => finish());
      req.end(spec.body);
    };
    const tick = () => {
      const now = elapsedNs();
      while (fired < total && fired * intervalNs <= now) fire(fired++);
      if (fired < total)
        setTimeout(tick, Math.max(0, Math.floor((fired * intervalNs - elapsedNs()) / 1e6)));
    };
    tick();
  });
  const seconds = (elapsedNs() - uncounted * intervalNs) / 1e9;
  agent.destroy();
  const ascending = (a: number, b: number) => a - b;
  return {
    fromDue: fromDue.sort(ascending),
    fromSent: fromSent.sort(ascending),
    non2xx,
    errors,
    achievedRate: counted / seconds,
    statusCounts,
    sendLagP99: sendLag.sort(ascending)[Math.max(0, Math.ceil(0.99 * sendLag.length) - 1)] ?? 0,
  };
};

/** What `pacedLoadTask` needs: plain data, so it can cross into a process of its own. */
export interface PacedLoadInput {
  readonly url: string;
  readonly rate: number;
  readonly seconds: number;
  /** Sent first and not counted (see `pacedLoad`). */
  readonly warmupSeconds?: number;
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
  /** Request i goes to paths[(offset + i) % paths.length]. */
  readonly paths: readonly string[];
  readonly offset: number;
}

/**
 * The open-loop generator as a task of `inFreshProcess` (bench/lib/worker.ts): the load
 * comes from another process than the benchmark's, so measuring never competes with
 * sending for one event loop.
 */
export const pacedLoadTask = (input: PacedLoadInput): Promise<PacedResult> =>
  pacedLoad({
    url: input.url,
    rate: input.rate,
    seconds: input.seconds,
    ...(input.warmupSeconds === undefined ? {} : { warmupSeconds: input.warmupSeconds }),
    next: (i) => ({
      method: input.method,
      path: input.paths[(input.offset + i) % input.paths.length],
      headers: input.headers,
      ...(input.body === undefined ? {} : { body: input.body }),
    }),
  });

/** Several open-loop streams at once from one process, each with its own rate and paths. */
export const pacedMixTask = (input: {
  streams: readonly PacedLoadInput[];
}): Promise<PacedResult[]> => Promise.all(input.streams.map(pacedLoadTask));
