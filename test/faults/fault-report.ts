import type { ProbeResult } from './pipeline-probe';
import type { ReplayReport } from './replays';
import type { Operation } from './rest-load';
import type { StoreReport } from './store-invariants';

/** A list as an assertion shows it: how many, and the first few (a run may find thousands). */
export const few = <T>(list: readonly T[], first = 5) => ({
  count: list.length,
  first: list.slice(0, first),
});
export const NONE = { count: 0, first: [] };

/** One injected fault and what the probe measured after it. */
export interface FaultRecord extends ProbeResult {
  readonly name: string;
  /** When it was injected. */
  readonly at: number;
  /** From the kill (or the pause) to the process being ready again (or resumed). */
  readonly downMs: number;
  /** Writes acknowledged to the clients while the fault lasted. */
  readonly acknowledgedDuring: number;
  /** Whether the pipeline probe ran after it (the distributed mode). */
  readonly probed: boolean;
}

const ms = (value: number | undefined): string => (value === undefined ? 'never' : `${value}`);

/**
 * The one summary line of a run (issue 10: operations, kills, lost, duplicated, recovery
 * times), then one line per fault.
 */
export function formatSummary(
  mode: string,
  store: StoreReport,
  faults: readonly FaultRecord[],
  replays: ReplayReport,
  operations: readonly Operation[],
): string {
  const duplicatedAfter = duplicatesByFault(store, faults, operations, replays);
  const kills = faults.filter((fault) => fault.name.startsWith('kill')).length;
  const pauses = faults.length - kills;
  const recovery = faults
    .map((fault) => `${fault.name.replace(/^kill -9 /, '')}=${fault.downMs}`)
    .join(' ');
  const summary =
    `FAULTS ${mode}: operations=${store.operations} acknowledged=${store.acknowledged} ` +
    `unanswered=${store.unanswered} kills=${kills} pauses=${pauses} lost=${store.lost.length} ` +
    `duplicated=${store.duplicated.length} (${duplicatedAfter.get(REPLAY_CHECK) ?? 0} by the replay check) ` +
    `executed-unacknowledged=${store.executedUnacknowledged} ` +
    `refused=${refusals(operations) || 'none'} replay-mismatches=${replays.mismatches.length}/${replays.checked} events=${store.events} ` +
    `recovery-ms: ${recovery || 'none'}`;
  const lines = faults.map(
    (fault) =>
      `  ${fault.name}: down ${fault.downMs} ms, ${fault.acknowledgedDuring} writes acknowledged meanwhile, ` +
      `${duplicatedAfter.get(fault.name) ?? 0} keys executed twice after it` +
      (fault.probed
        ? `; probe rotate ${ms(fault.rotateMs)} ms, signer fresh ${ms(fault.signerFreshMs)} ms, ` +
          `expiry lag ${ms(fault.expiryLagMs)} ms, finished endpoints fresh ${ms(fault.samplesFreshMs)} ms`
        : '') +
      (fault.failures.length ? `; FAILED: ${fault.failures.join('; ')}` : ''),
  );
  const before = duplicatedAfter.get('') ?? 0;
  return [
    summary,
    ...lines,
    ...(before ? [`  before any fault: ${before} keys executed twice`] : []),
  ].join('\n');
}

const REPLAY_CHECK = 'the replay check';

/** Final answers other than 2xx, by status and code: `409:endpoint_not_found x2`. */
function refusals(operations: readonly Operation[]): string {
  const counts = new Map<string, number>();
  for (const op of operations)
    if (op.final && op.final.status >= 300) {
      const what = `${op.final.status}:${String(op.final.body?.code ?? '?')}`;
      counts.set(what, (counts.get(what) ?? 0) + 1);
    }
  return [...counts].map(([what, count]) => `${what}x${count}`).join(',');
}

/**
 * Each duplicated key, charged to the replay check when its resend executed again, else to
 * the last fault injected before its final answer.
 */
function duplicatesByFault(
  store: StoreReport,
  faults: readonly FaultRecord[],
  operations: readonly Operation[],
  replays: ReplayReport,
): Map<string, number> {
  const byKey = new Map(operations.map((op) => [op.idempotencyKey, op]));
  const counts = new Map<string, number>();
  const reexecuted = new Set(replays.reexecuted);
  for (const { idempotencyKey } of store.duplicated) {
    if (reexecuted.has(idempotencyKey)) {
      counts.set(REPLAY_CHECK, (counts.get(REPLAY_CHECK) ?? 0) + 1);
      continue;
    }
    const op = byKey.get(idempotencyKey);
    const end = op?.final?.at ?? op?.attempts.at(-1)?.at ?? 0;
    const fault = faults.filter((f) => f.at <= end).at(-1)?.name ?? '';
    counts.set(fault, (counts.get(fault) ?? 0) + 1);
  }
  return counts;
}
