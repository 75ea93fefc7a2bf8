import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { generateSecret, sealSecret, secretBytes } from '@rotor/crypto';
import { isStillValid } from '@rotor/domain';
import type { KeyRingKey, KeyRingView } from '@rotor/projections';
import { KeyRing, type DataKeySource } from './key-ring';

/*
 * The packed ring against the plain reading of its contract: whatever sequence of bucket
 * entries arrives, it answers as a map of the latest applicable views would.
 */
const DATA_KEY = randomBytes(32);
const vault: DataKeySource = {
  dataKeyOf: () => Promise.resolve(Buffer.from(DATA_KEY)),
  forget: () => undefined,
};

// Ids that share prefixes and leave ASCII, so the index compares whole UTF-8 ids.
const IDS = ['we_1', 'we_10', 'we_100', 'we_1é', 'we_端点', 'we_2', 'we_3', 'we_4'];
const TENANTS = ['acme', 'globex', 'ïnitech'];
const SECRETS = Array.from({ length: 4 }, () => generateSecret());

const sealed = (endpointId: string, k: number, expiresAt?: string): KeyRingKey => {
  const keyId = `key_${k}`;
  const { ciphertext } = sealSecret({
    endpointId,
    keyId,
    secret: SECRETS[k],
    dataKey: DATA_KEY,
    kekId: 'kek',
    createdAt: new Date(0),
  });
  return {
    keyId,
    ciphertext,
    createdAt: '1970-01-01T00:00:00.000Z',
    ...(expiresAt ? { expiresAt } : {}),
  };
};

type Entry = { id: number; view?: KeyRingView };

const entry: fc.Arbitrary<Entry> = fc.oneof(
  fc.record({ id: fc.nat(IDS.length - 1) }), // the bucket's delete marker: no value
  fc
    .record({
      id: fc.nat(IDS.length - 1),
      tenant: fc.constantFrom('', ...TENANTS),
      revision: fc.integer({ min: -1, max: 6 }),
      deleted: fc.boolean(),
      // Key numbers, newest first; the second and later carry an expiry at 10 s or at 30 s.
      keys: fc.uniqueArray(fc.nat(SECRETS.length - 1), { maxLength: 3 }),
      laterExpiry: fc.boolean(),
    })
    .map(({ id, tenant, revision, deleted, keys, laterExpiry }) => ({
      id,
      view: {
        endpointId: IDS[id],
        tenantId: tenant,
        revision,
        deleted,
        keys: keys.map((k, i) =>
          sealed(
            IDS[id],
            k,
            i === 0 ? undefined : laterExpiry ? '1970-01-01T00:00:30Z' : '1970-01-01T00:00:10Z',
          ),
        ),
      },
    })),
);

/** The contract, read plainly: the latest view that is complete, not deleted and not stale. */
const applyToModel = (model: Map<string, KeyRingView>, { id, view }: Entry): void => {
  const endpointId = IDS[id];
  if (!view || view.deleted || !view.tenantId || view.keys.length === 0) model.delete(endpointId);
  else if ((model.get(endpointId)?.revision ?? -Infinity) <= view.revision)
    model.set(endpointId, view);
};

const secretsOf = (key: KeyRingKey) => secretBytes(SECRETS[Number(key.keyId.slice(4))]);

describe('the packed key ring against a map of views', () => {
  it('answers as the latest applicable view of every endpoint, signing included', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(entry, { maxLength: 40 }),
        fc.array(fc.nat(60_000), { minLength: 1, maxLength: 3 }),
        async (entries, times) => {
          const ring = new KeyRing(vault);
          const model = new Map<string, KeyRingView>();
          for (const e of entries) {
            ring.update(IDS[e.id], e.view);
            applyToModel(model, e);
            // Sign now and then between entries, so opened keys are carried across updates.
            if (e.id % 3 === 0) await ring.signingKeys(IDS[e.id], times[0]);
          }
          expect(ring.size).toBe(model.size);
          for (const endpointId of IDS) {
            const view = model.get(endpointId);
            expect(ring.has(endpointId)).toBe(view !== undefined);
            expect(ring.tenantOf(endpointId)).toBe(view?.tenantId);
            for (const nowMs of times) {
              const expected = view?.keys
                .filter(
                  (k) => k.expiresAt === undefined || isStillValid(k.expiresAt, new Date(nowMs)),
                )
                .map(secretsOf);
              expect(await ring.signingKeys(endpointId, nowMs)).toEqual(expected);
            }
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('the packed key ring at scale', () => {
  it('holds an endpoint with two sealed keys in under 400 bytes', () => {
    const ring = new KeyRing(vault);
    const endpoints = 20_000;
    // Shaped as real entries: 35-character ids, 30-character key ids, 104-character ciphertexts.
    const ciphertext = randomBytes(78).toString('base64');
    for (let i = 0; i < endpoints; i++) {
      const endpointId = `we_${i.toString(16).padStart(32, '0')}`;
      ring.update(endpointId, {
        endpointId,
        tenantId: `tenant-${i % 100}`,
        revision: 3,
        deleted: false,
        keys: [
          {
            keyId: `key_01JQ${String(2 * i + 1).padStart(22, '0')}`,
            ciphertext,
            createdAt: '2026-03-01T12:00:00.000Z',
          },
          {
            keyId: `key_01JQ${String(2 * i).padStart(22, '0')}`,
            ciphertext,
            createdAt: '2026-01-01T12:00:00.000Z',
            expiresAt: '2026-03-01T13:00:00.000Z',
          },
        ],
      });
    }
    const footprint = ring.footprint();
    expect(footprint.endpoints).toBe(endpoints);
    expect(footprint.liveEndpoints).toBe(0); // none signed for: no JS objects per endpoint
    expect((footprint.recordBytes + footprint.indexBytes) / endpoints).toBeLessThan(400);
  });

  it('reuses the space of replaced and deleted records', () => {
    const ring = new KeyRing(vault);
    const view = (revision: number, keys: number): KeyRingView => ({
      endpointId: 'we_1',
      tenantId: 'acme',
      revision,
      deleted: false,
      keys: Array.from({ length: keys }, (_, k) => sealed('we_1', k)),
    });
    // Rotations back and forth between one key and two, then a delete and a re-creation.
    for (let revision = 0; revision < 1_000; revision++)
      ring.update(`we_${revision % 50}`, view(revision, 1 + (revision % 2)));
    const settled = ring.footprint();
    for (let revision = 1_000; revision < 2_000; revision++) {
      ring.update(
        `we_${revision % 50}`,
        revision % 7 === 0 ? undefined : view(revision, 1 + (revision % 2)),
      );
    }
    const after = ring.footprint();
    // Every byte handed out is a record or waits in a free list: their sum did not grow.
    expect(after.recordBytes + after.arenaFreeBytes).toBeLessThanOrEqual(
      settled.recordBytes + settled.arenaFreeBytes,
    );
  });
});
