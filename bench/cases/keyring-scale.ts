import type { KeyRingView } from '@rotor/projections';
import { KeyRing } from '../../services/signer/src/key-ring';
import { inFreshProcess } from '../lib/processes';
import { reported, type BenchCase } from '../lib/result';
import { memory, summarize } from '../lib/stats';

interface LoadResult {
  readonly endpoints: number;
  readonly seconds: number;
  /** Making the entries' bytes, off the clock (not in `seconds`). */
  readonly generateSeconds: number;
  readonly rssBeforeMb: number;
  /** Peak RSS minus RSS before loading, MiB. */
  readonly peakGrowthMb: number;
  /** After a full GC with the ring still referenced: what the ring keeps, MiB. */
  readonly retainedGrowthMb: number;
  readonly peakRssMb: number;
  /** The ring's own count of what it holds (records and index), bytes per endpoint. */
  readonly ringBytesPerEndpoint: number;
}

// Length of a real value: a sealed key's ciphertext is 104 base64 characters (AES-256-GCM of
// a 50-character secret, with IV and tag). The view holds no wrapped data key.
const CIPHERTEXT =
  'E2lyW3osY37tVA+AEZ9CyhpU3cO80hP2To6GxqiK/DTCxCmst3QRL3zugtKEDwD4mMMmG54Whm8w08iUsXebNAdt'; // + 16 = 104
const hex32 = (i: number) => i.toString(16).padStart(32, '0');
const base32 = (i: number) => i.toString(32).toUpperCase().padStart(16, '0');

/**
 * The value of a key-ring bucket entry as the projector puts it (`KeyRingView`, JSON), for
 * an endpoint in the middle of a rotation: the new key and the previous one with its
 * expiry, so two keys each (the most a ring entry holds).
 */
const entryText = (i: number): string => {
  const newer = base32(2 * i + 1);
  const older = base32(2 * i);
  return (
    `{"endpointId":"we_${hex32(i)}","tenantId":"tenant-${i % 1000}",` +
    `"keys":[{"keyId":"key_01JQ000000${newer}","ciphertext":"${CIPHERTEXT}${newer}",` +
    `"createdAt":"2026-03-01T12:00:00.000Z"},` +
    `{"keyId":"key_01JQ000000${older}","ciphertext":"${CIPHERTEXT}${older}",` +
    `"createdAt":"2026-01-01T12:00:00.000Z","expiresAt":"2026-03-01T13:00:00.000Z"}],` +
    `"revision":3,"deleted":false}`
  );
};

/**
 * In a fresh process: the signer's `KeyRing` fed `endpoints` entries the way its KV watch
 * feeds it (bytes off the wire, decoded as nats.js's JSONCodec does, then `update`).
 */
export const loadTask = ({ endpoints }: { endpoints: number }): LoadResult => {
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  // Loading never opens a secret: the vault is never asked.
  const ring = new KeyRing({
    dataKeyOf: () => Promise.reject(new Error('not used while loading')),
    forget: () => undefined,
  });
  global.gc?.();
  const before = memory();
  let peak = before.rssMb;
  // The bytes are made ahead, a chunk at a time and off the clock: on the signer they come
  // off the socket. Small chunks keep the buffers' own memory out of the figures.
  const CHUNK = 5_000;
  const chunk: Uint8Array[] = [];
  // The watch hands over the bucket key (from the message subject) apart from the value:
  // a string of its own, which the ring keeps as its Map key.
  const keys: string[] = [];
  let seconds = 0;
  let generateSeconds = 0;
  for (let first = 0; first < endpoints; first += CHUNK) {
    const last = Math.min(endpoints, first + CHUNK);
    const made = process.hrtime.bigint();
    for (let i = first; i < last; i++) {
      chunk[i - first] = encoder.encode(entryText(i));
      keys[i - first] = `we_${hex32(i)}`;
    }
    const start = process.hrtime.bigint();
    for (let i = 0; i < last - first; i++) {
      const draft = JSON.parse(decoder.decode(chunk[i])) as KeyRingView;
      ring.update(keys[i], draft);
    }
    const end = process.hrtime.bigint();
    generateSeconds += Number(start - made) / 1e9;
    seconds += Number(end - start) / 1e9;
    peak = Math.max(peak, memory().rssMb);
  }
  chunk.length = 0;
  keys.length = 0;
  if (ring.size !== endpoints) throw new Error(`ring holds ${ring.size} of ${endpoints}`);
  if (ring.tenantOf(`we_${hex32(endpoints - 1)}`) === undefined) throw new Error('entry missing');
  peak = Math.max(peak, memory().rssMb, memory().maxRssMb);
  global.gc?.();
  const retained = memory().rssMb;
  // Used after the GC, so the ring is still alive when `retained` is read.
  if (!ring.has(`we_${hex32(0)}`)) throw new Error('entry missing');
  const footprint = ring.footprint();
  return {
    endpoints,
    seconds,
    generateSeconds,
    rssBeforeMb: before.rssMb,
    peakGrowthMb: peak - before.rssMb,
    retainedGrowthMb: retained - before.rssMb,
    peakRssMb: peak,
    ringBytesPerEndpoint: (footprint.arenaBytes + footprint.indexBytes) / endpoints,
  };
};

/** The signer's key ring at scale, each repetition in a fresh process. */
export const keyringScale: BenchCase = {
  name: 'keyring-scale',
  description: "load the signer's KeyRing with many endpoints: time to ready and RSS",
  async run({ quick }) {
    const endpoints = quick ? 100_000 : 1_000_000;
    const runs = 3;
    const results: LoadResult[] = [];
    for (let i = 0; i < runs; i++)
      results.push(
        await inFreshProcess<LoadResult>('keyring-load', { endpoints }, ['--expose-gc']),
      );
    const seconds = summarize(results.map((r) => r.seconds));
    const peak = summarize(results.map((r) => r.peakGrowthMb));
    const retained = summarize(results.map((r) => r.retainedGrowthMb));
    const retainedPerEndpoint = summarize(
      results.map((r) => (r.retainedGrowthMb * 2 ** 20) / r.endpoints),
    );
    const ringPerEndpoint = summarize(results.map((r) => r.ringBytesPerEndpoint));
    const fmt = (values: number[]) => values.map((v) => v.toFixed(2)).join(', ');
    return {
      name: this.name,
      parameters: {
        endpoints,
        keysPerEndpoint: 2,
        runs,
        delivery:
          'KeyRingView JSON bytes decoded as the KV watch does (TextDecoder + JSON.parse), then KeyRing.update',
        notIncluded:
          'JetStream delivering the entries to the signer (the watch itself), the Nest app around the ring',
        process: 'each repetition in a fresh Node process (ts-node)',
        rssBeforeMb: Number(results[0].rssBeforeMb.toFixed(1)),
        peakRssMb: results.map((r) => Math.round(r.peakRssMb)),
      },
      metrics: [
        {
          label: `time to ready, ${endpoints.toLocaleString('en-US')} endpoints`,
          unit: 's',
          rotor: seconds,
          target: '<= 15 s',
          met: seconds.median <= 15,
        },
        {
          label: 'RSS growth, peak while loading',
          unit: 'MiB',
          rotor: peak,
          target: '<= 512 MiB',
          met: peak.median <= 512,
        },
        reported('RSS growth, retained after a full GC', 'MiB', retained),
        reported('RSS growth retained, per endpoint', 'bytes', retainedPerEndpoint),
        reported(
          "the ring's own count (arena chunks + index), per endpoint",
          'bytes',
          ringPerEndpoint,
        ),
      ],
      notes: [
        `making the entries' bytes took ${fmt(results.map((r) => r.generateSeconds))} s per run, off the clock (in chunks of 5,000 ahead of decoding)`,
      ],
    };
  },
};
