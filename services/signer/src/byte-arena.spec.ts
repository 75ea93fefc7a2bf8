import { ByteArena, CHUNK_BYTES } from './byte-arena';

describe('the byte arena', () => {
  it('hands out disjoint, 8-byte aligned records and reuses a freed record for the same size', () => {
    const arena = new ByteArena();
    const first = arena.alloc(13);
    const second = arena.alloc(13);
    expect(second - first).toBe(16);
    arena.free(first, 13);
    expect(arena.alloc(16)).toBe(first); // 13 and 16 share the aligned size
    expect(arena.alloc(13)).toBe(second + 16); // nothing freed of that size any more
    expect(arena.footprint()).toEqual({ chunkBytes: CHUNK_BYTES, recordBytes: 48, freeBytes: 0 });
  });

  it('starts a new chunk when a record does not fit the rest of the current one', () => {
    const arena = new ByteArena();
    const first = arena.alloc(CHUNK_BYTES - 8);
    const next = arena.alloc(16);
    expect(arena.chunkOf(next)).not.toBe(arena.chunkOf(first));
    expect(arena.offsetOf(next)).toBe(0);
    expect(arena.footprint().chunkBytes).toBe(2 * CHUNK_BYTES);
  });

  it('gives a record larger than a chunk a chunk of its own, and carries on after it', () => {
    const arena = new ByteArena();
    arena.alloc(8);
    const large = arena.alloc(CHUNK_BYTES + 1);
    const after = arena.alloc(8);
    expect(arena.chunkOf(large).length).toBe(CHUNK_BYTES + 8);
    expect(arena.offsetOf(large)).toBe(0);
    expect(arena.chunkOf(after)).not.toBe(arena.chunkOf(large));
    arena.chunkOf(large).fill(1, arena.offsetOf(large), CHUNK_BYTES + 1); // all of it writable
  });
});
