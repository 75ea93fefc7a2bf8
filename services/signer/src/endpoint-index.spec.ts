import fc from 'fast-check';
import { ByteArena } from './byte-arena';
import { EndpointIndex, hashBytes } from './endpoint-index';
import { maxRecordBytes, writeRecord } from './ring-record';
import { StringTable } from './string-table';

/** An arena holding one record per id, as the ring stores them. */
const recordsOf = (ids: readonly string[]) => {
  const arena = new ByteArena();
  const tables = { tenants: new StringTable(), schemes: new StringTable() };
  const locators = ids.map((id) => {
    const view = { endpointId: id, tenantId: 't', keys: [], revision: 0, deleted: false };
    const scratch = Buffer.alloc(maxRecordBytes(id, view));
    const size = writeRecord(scratch, id, view, tables, 'hmac-sha256');
    const locator = arena.alloc(size);
    scratch.copy(arena.chunkOf(locator), arena.offsetOf(locator), 0, size);
    return locator;
  });
  return { arena, locators };
};

const IDS = Array.from({ length: 24 }, (_, i) => `we_${i}`);

describe('the endpoint index', () => {
  it('finds exactly the ids inserted and not removed, through collisions, wrap-around and growth', () => {
    // Hashes forced into a few values (a table of 4 slots to start): long probe runs that wrap
    // around the end, the case backward-shift deletion must get right.
    const forcedHash = fc.constantFrom(0, 1, 3, 0xffff_ffff);
    const op = fc.record({ id: fc.nat(IDS.length - 1), insert: fc.boolean() });
    fc.assert(
      fc.property(
        fc.array(forcedHash, { minLength: IDS.length, maxLength: IDS.length }),
        fc.array(op, { maxLength: 120 }),
        (hashes, ops) => {
          const { arena, locators } = recordsOf(IDS);
          const index = new EndpointIndex(arena, 4);
          const present = new Set<number>();
          const find = (i: number) => {
            const bytes = Buffer.from(IDS[i], 'utf8');
            return index.find(bytes, bytes.length, hashes[i]);
          };
          for (const { id, insert } of ops) {
            const slot = find(id);
            if (insert && slot < 0) index.insert(hashes[id], locators[id]);
            if (!insert && slot >= 0) index.removeAt(slot);
            if (insert) present.add(id);
            else present.delete(id);
            expect(index.size).toBe(present.size);
            for (let i = 0; i < IDS.length; i++) {
              const found = find(i);
              expect(found >= 0).toBe(present.has(i));
              if (found >= 0) expect(index.locatorAt(found)).toBe(locators[i]);
            }
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('tells apart ids of equal hash and ids that are prefixes of others', () => {
    const ids = ['we_1', 'we_10', 'we_1\u00e9'];
    const { arena, locators } = recordsOf(ids);
    const index = new EndpointIndex(arena);
    ids.forEach((_, i) => index.insert(7, locators[i]));
    for (let i = 0; i < ids.length; i++) {
      const bytes = Buffer.from(ids[i], 'utf8');
      expect(index.locatorAt(index.find(bytes, bytes.length, 7))).toBe(locators[i]);
    }
    const absent = Buffer.from('we_', 'utf8');
    expect(index.find(absent, absent.length, 7)).toBe(-1);
  });

  it('hashes the bytes it is given, up to the length given', () => {
    const bytes = Buffer.from('we_abc and more');
    expect(hashBytes(bytes, 6)).toBe(hashBytes(Buffer.from('we_abc'), 6));
    expect(hashBytes(bytes, 6)).not.toBe(hashBytes(Buffer.from('we_abd'), 6));
  });
});
