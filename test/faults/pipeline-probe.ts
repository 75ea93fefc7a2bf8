import { endpointStreamName } from '@rotor/domain';
import type { EventStore } from '@rotor/event-store';
import { waitFor } from '@rotor/testing';
import type { FinishedEndpoint, RestClient, RestLoad } from './rest-load';
import { newestKeyIdOf } from './store-invariants';

/**
 * After a fault: is the whole pipeline working again, and how soon? One rotation of the
 * probe's own endpoint (grace 1 s) through the gateway and the command service; then the
 * signer must sign with the new key (the projector wrote it to the key ring, the signer
 * picked it up) and the expiry service must end the previous key's grace period; and the
 * endpoints the clients finished before the fault must be signed with their newest key.
 */
export const SIGNER_FRESH_WITHIN_MS = 5_000;
/** How long a probe keeps looking, past the promise, to measure how late it is. */
const PROBE_TIMEOUT_MS = 12_000;
const PROBE_POLL_MS = 100;
/** Finished endpoints checked per fault. */
const SAMPLE_SIZE = 3;

export const PROBE_CLIENT = -1;

export interface ProbeResult {
  /** Probe rotation: sent after recovery, acknowledged after this long. */
  readonly rotateMs?: number;
  /** From the acknowledgement to the first signature made with the new key. */
  readonly signerFreshMs?: number;
  /** From the end of the grace period to the PreviousSecretExpired in the store. */
  readonly expiryLagMs?: number;
  /** From recovery, the slowest finished endpoint to be signed with its newest key. */
  readonly samplesFreshMs?: number;
  readonly failures: string[];
}

/** Milliseconds until `probe` holds, or undefined after `timeoutMs`. */
export async function timeUntil(
  probe: () => Promise<boolean> | boolean,
  timeoutMs: number,
  pollMs = PROBE_POLL_MS,
): Promise<number | undefined> {
  const started = Date.now();
  try {
    await waitFor(probe, 'a probe', timeoutMs, pollMs);
    return Date.now() - started;
  } catch {
    return undefined;
  }
}

/** Why a finished endpoint is not signed with the newest secret its client holds. */
export async function whyNotFresh(
  store: EventStore,
  endpoint: FinishedEndpoint,
): Promise<'stale signer' | 'newest stored key never received'> {
  const newest = newestKeyIdOf(await store.read(endpointStreamName(endpoint.endpointId)));
  return newest === endpoint.keyId ? 'stale signer' : 'newest stored key never received';
}

export async function probePipeline(
  load: RestLoad,
  client: RestClient,
  store: EventStore,
  probeEndpointId: string,
  readyAt: number,
): Promise<ProbeResult> {
  const failures: string[] = [];
  const samples = load.finished.filter((e) => e.at < readyAt).slice(-SAMPLE_SIZE);
  // The samples are timed from recovery: check them while the probe rotation runs.
  const samplesCheck = Promise.all(
    samples.map(async (endpoint) => {
      const ms = await timeUntil(
        () => client.signsWith(endpoint.endpointId, endpoint.secret),
        PROBE_TIMEOUT_MS,
      );
      if (ms === undefined)
        failures.push(
          `${endpoint.endpointId} not signed with its newest key after ${PROBE_TIMEOUT_MS} ms ` +
            `(${await whyNotFresh(store, endpoint)})`,
        );
      return ms === undefined ? undefined : Date.now() - readyAt;
    }),
  );

  const sentAt = Date.now();
  const rotated = await load.execute(
    PROBE_CLIENT,
    'rotate',
    `/v1/webhooks/endpoints/${probeEndpointId}/secret/rotate`,
    { expire_current_in: 1, force: true },
    probeEndpointId,
  );
  let rotateMs: number | undefined;
  let signerFreshMs: number | undefined;
  let expiryLagMs: number | undefined;
  const body = rotated.final?.body;
  if (rotated.final?.status !== 200 || !body) {
    failures.push(`probe rotation: no 200 (${rotated.attempts.map((a) => a.outcome).join(', ')})`);
  } else {
    rotateMs = rotated.final.at - sentAt;
    const secret = String(body.secret);
    const previousKeyId = String(body.previous_key_id);
    const dueAt = Date.parse(String(body.previous_secret_expires_at));
    const expired = async () =>
      (await store.read(endpointStreamName(probeEndpointId))).some(
        (event) =>
          event.type === 'PreviousSecretExpired' &&
          (event.data as { keyId?: string }).keyId === previousKeyId,
      );
    let expiredAt: number | undefined;
    [signerFreshMs] = await Promise.all([
      timeUntil(() => client.signsWith(probeEndpointId, secret), PROBE_TIMEOUT_MS),
      timeUntil(expired, Math.max(0, dueAt - Date.now()) + PROBE_TIMEOUT_MS, 200).then(
        (ms) => (expiredAt = ms === undefined ? undefined : Date.now()),
      ),
    ]);
    if (signerFreshMs === undefined)
      failures.push(`signer not signing with the probe's new key after ${PROBE_TIMEOUT_MS} ms`);
    if (expiredAt === undefined)
      failures.push(
        `the probe's previous key not expired ${PROBE_TIMEOUT_MS} ms after its due time`,
      );
    else expiryLagMs = Math.max(0, expiredAt - dueAt);
  }
  const sampled = await samplesCheck;
  const samplesFreshMs = sampled.every((ms) => ms !== undefined)
    ? Math.max(0, ...(sampled as number[]))
    : undefined;
  return { rotateMs, signerFreshMs, expiryLagMs, samplesFreshMs, failures };
}
