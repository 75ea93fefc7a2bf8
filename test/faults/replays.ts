import type { Operation, RestClient } from './rest-load';

/**
 * A client that lost its answer (it crashed, its connection dropped) sends the same request
 * again with the same Idempotency-Key, maybe long after, maybe after a restart: it must get
 * the first answer again, secret included, marked as replayed, and nothing may execute.
 */
export interface ReplayReport {
  readonly checked: number;
  readonly mismatches: string[];
  /** Keys whose resend was answered by a new execution (another key or endpoint id). */
  readonly reexecuted: string[];
}

/** Acknowledged operations replayed, spread over the whole run. */
const SAMPLE = 24;

export async function checkReplays(
  client: RestClient,
  operations: readonly Operation[],
): Promise<ReplayReport> {
  const acknowledged = operations.filter((op) => op.final && op.final.status < 300);
  const step = Math.max(1, Math.floor(acknowledged.length / SAMPLE));
  const sample = acknowledged.filter((_, index) => index % step === 0).slice(0, SAMPLE);
  const mismatches: string[] = [];
  const reexecuted: string[] = [];
  for (const op of sample) {
    const reply = await client.send('POST', op.path, op.body, op.idempotencyKey);
    const first = op.final!;
    const differences = [
      reply.outcome !== first.status ? `status ${reply.outcome} (first ${first.status})` : '',
      reply.body?.key_id !== first.body?.key_id ? 'another key_id' : '',
      reply.body?.secret !== first.body?.secret ? 'another secret' : '',
      reply.body?.id !== first.body?.id ? 'another endpoint id' : '',
      reply.replayed ? '' : 'no Idempotency-Replayed',
    ].filter(Boolean);
    if (
      typeof reply.outcome === 'number' &&
      reply.outcome < 300 &&
      (reply.body?.key_id !== first.body?.key_id || reply.body?.id !== first.body?.id)
    )
      reexecuted.push(op.idempotencyKey);
    if (differences.length > 0)
      mismatches.push(`${op.kind} ${op.idempotencyKey}: ${differences.join(', ')}`);
  }
  return { checked: sample.length, mismatches, reexecuted };
}
