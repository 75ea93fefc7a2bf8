import { RpcException } from '@nestjs/microservices';
import { fingerprintOf } from '@rotor/crypto';
import { endpointStreamName, upcast } from '@rotor/domain';
import type { EventStore } from '@rotor/event-store';
import type { RegisterEndpointReply, RegisterEndpointRequest } from '@rotor/contracts';
import { parseImportLine, type ImportLine } from './import-line';

/**
 * `endpoints import FILE`: each line registered through the command service's own path
 * (load, decide, seal under the endpoint's data key, append expecting no stream), in
 * process. Resumable and idempotent because each line has a fixed endpoint id: a line whose
 * endpoint already holds that secret is skipped, so a rerun after a crash picks up where
 * the first run stopped and a second run imports nothing.
 */
export type LineOutcome =
  | { readonly line: number; readonly outcome: 'imported'; readonly endpointId: string }
  | { readonly line: number; readonly outcome: 'skipped'; readonly endpointId: string }
  | {
      readonly line: number;
      readonly outcome: 'refused';
      readonly reason: string;
      readonly endpointId?: string;
    };

export interface ImportCounts {
  imported: number;
  skipped: number;
  refused: number;
}

export interface ImportDependencies {
  readonly register: (request: RegisterEndpointRequest) => Promise<RegisterEndpointReply>;
  readonly store: Pick<EventStore, 'read'>;
  readonly actor: string;
  readonly requestId: string;
}

interface RefusalBody {
  readonly code: string;
  readonly message: string;
}

/** The command's refusal (a domain rule), or undefined for a failure that must stop the run. */
const refusalOf = (error: unknown): RefusalBody | undefined => {
  if (!(error instanceof RpcException)) return undefined;
  const body = (error.getError() as { error?: RefusalBody }).error;
  return body && body.code !== 'internal_error' && body.code !== 'unavailable' ? body : undefined;
};

export async function importLine(
  number: number,
  text: string,
  deps: ImportDependencies,
): Promise<LineOutcome> {
  const parsed = parseImportLine(text);
  if ('refused' in parsed) return { line: number, outcome: 'refused', reason: parsed.refused };
  const { line } = parsed;
  try {
    await deps.register(requestOf(line, deps));
    return { line: number, outcome: 'imported', endpointId: line.endpointId };
  } catch (error) {
    const refusal = refusalOf(error);
    if (!refusal) throw error;
    if (refusal.code === 'endpoint_already_exists') return alreadyThere(number, line, deps);
    return {
      line: number,
      outcome: 'refused',
      endpointId: line.endpointId,
      reason: `${refusal.code}: ${refusal.message}`,
    };
  }
}

const requestOf = (line: ImportLine, deps: ImportDependencies): RegisterEndpointRequest => ({
  meta: { actor: deps.actor, requestId: deps.requestId },
  tenantId: line.tenant,
  endpointId: line.endpointId,
  url: line.url,
  secret: line.secret,
  ...(line.externalId === undefined ? {} : { externalId: line.externalId }),
  ...(line.description === undefined ? {} : { description: line.description }),
});

/**
 * The endpoint exists: skipped when it was registered with this very secret (an earlier run,
 * or the same line twice); refused when it holds another one or was deleted since.
 */
async function alreadyThere(
  number: number,
  line: ImportLine,
  deps: ImportDependencies,
): Promise<LineOutcome> {
  const events = (await deps.store.read(endpointStreamName(line.endpointId))).map(upcast);
  const registered = events[0];
  const refused = (reason: string): LineOutcome => ({
    line: number,
    outcome: 'refused',
    endpointId: line.endpointId,
    reason,
  });
  if (registered?.type !== 'EndpointRegistered')
    return refused('endpoint_already_exists: its id was used and deleted before');
  if (events.some((e) => e.type === 'EndpointDeleted'))
    return refused('endpoint_already_exists: that endpoint was deleted; its id cannot be reused');
  if (
    registered.data.tenantId !== line.tenant ||
    registered.data.key.fingerprint !== fingerprintOf(line.secret)
  )
    return refused(
      `endpoint_already_exists: ${line.externalId === undefined ? 'that endpoint' : 'that external_id'} ` +
        'is already registered with another secret',
    );
  return { line: number, outcome: 'skipped', endpointId: line.endpointId };
}

export const countOutcome = (counts: ImportCounts, outcome: LineOutcome): void => {
  counts[outcome.outcome] += 1;
};

export const formatOutcome = (outcome: LineOutcome): string => {
  switch (outcome.outcome) {
    case 'imported':
      return `line ${outcome.line}: imported ${outcome.endpointId}`;
    case 'skipped':
      return `line ${outcome.line}: skipped ${outcome.endpointId} (already there)`;
    case 'refused':
      return `line ${outcome.line}: refused: ${outcome.reason}`;
  }
};

export const formatImportSummary = (counts: ImportCounts): string =>
  `imported ${counts.imported}, skipped ${counts.skipped} (already there), ` +
  `refused ${counts.refused}`;
