/**
 * Memory for many small byte records outside the JS heap: large Buffer chunks carved into
 * records, each named by a locator (a plain number: chunk index * CHUNK_BYTES + offset), so
 * a million records cost a million small numbers, not a million Buffer objects.
 *
 * A freed record's space goes to a free list of its size and is reused by the next record
 * of that size. An endpoint's record changes between a few sizes as it rotates (one key,
 * two keys, one key again), so replacing records reuses space instead of growing.
 */
export const CHUNK_BYTES = 1 << 20;
/** Records start on 8-byte boundaries, which also makes sizes fall into fewer free lists. */
const ALIGN = 8;
/** The most the locators (stored in a Uint32Array by the index) can address. */
const MAX_LOCATOR = 0xffff_fffe;

export const alignedSize = (size: number): number => Math.ceil(size / ALIGN) * ALIGN;

export class ByteArena {
  private readonly chunks: Buffer[] = [];
  /** Bytes used in the last chunk; a fresh arena has none to use. */
  private used = CHUNK_BYTES;
  private readonly freeBySize = new Map<number, number[]>();
  private freeBytes = 0;
  /** Bytes of the records in use (aligned). */
  private recordBytes = 0;

  /** A locator of `size` writable bytes (their content is whatever was there before). */
  alloc(size: number): number {
    const bytes = alignedSize(size);
    this.recordBytes += bytes;
    const reusable = this.freeBySize.get(bytes)?.pop();
    if (reusable !== undefined) {
      this.freeBytes -= bytes;
      return reusable;
    }
    // A record larger than a chunk gets a chunk of its own (at offset 0).
    if (bytes > CHUNK_BYTES) return this.newChunk(bytes, bytes);
    if (this.used + bytes > CHUNK_BYTES) return this.newChunk(CHUNK_BYTES, bytes);
    const locator = (this.chunks.length - 1) * CHUNK_BYTES + this.used;
    this.used += bytes;
    return locator;
  }

  /** Gives a record's space back; `size` is the size it was allocated with. */
  free(locator: number, size: number): void {
    const bytes = alignedSize(size);
    let list = this.freeBySize.get(bytes);
    if (!list) this.freeBySize.set(bytes, (list = []));
    list.push(locator);
    this.freeBytes += bytes;
    this.recordBytes -= bytes;
  }

  chunkOf(locator: number): Buffer {
    return this.chunks[Math.floor(locator / CHUNK_BYTES)];
  }

  offsetOf(locator: number): number {
    return locator % CHUNK_BYTES;
  }

  /**
   * Bytes held in chunks (what the arena costs) and, of those, bytes of records in use and
   * bytes in free lists (the rest is the unused tail of chunks).
   */
  footprint(): {
    readonly chunkBytes: number;
    readonly recordBytes: number;
    readonly freeBytes: number;
  } {
    let chunkBytes = 0;
    for (const chunk of this.chunks) chunkBytes += chunk.length;
    return { chunkBytes, recordBytes: this.recordBytes, freeBytes: this.freeBytes };
  }

  private newChunk(chunkBytes: number, recordBytes: number): number {
    const locator = this.chunks.length * CHUNK_BYTES;
    if (locator > MAX_LOCATOR) throw new RangeError('byte arena full');
    // allocUnsafeSlow: a chunk of its own, not a slice of Node's shared pool.
    this.chunks.push(Buffer.allocUnsafeSlow(chunkBytes));
    this.used = recordBytes;
    return locator;
  }
}
