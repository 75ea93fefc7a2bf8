import type { ByteArena } from './byte-arena';
import { recordIdEquals } from './ring-record';

/**
 * Endpoint id -> record locator, an open-addressing hash table (linear probing) over two
 * typed arrays: 8 bytes a slot, and no string per endpoint, because the id is compared
 * against the bytes in the endpoint's own record. A JS Map would keep each id as a string
 * (56 bytes or more) plus its entry.
 */
const EMPTY = 0xffff_ffff;
/** Grown (doubled) past this load, which keeps probe sequences short. */
const MAX_LOAD = 0.7;

/** FNV-1a, 32 bits, over `length` bytes: the table's hash of an endpoint id. */
export const hashBytes = (bytes: Buffer, length: number): number => {
  let hash = 0x811c9dc5;
  for (let i = 0; i < length; i++) hash = Math.imul(hash ^ bytes[i], 0x01000193);
  return hash >>> 0;
};

export class EndpointIndex {
  private locators: Uint32Array;
  private hashes: Uint32Array;
  private count = 0;

  constructor(
    private readonly arena: ByteArena,
    initialCapacity = 1024,
  ) {
    // A power of two, so a hash maps to a slot with a mask.
    const capacity = 2 ** Math.ceil(Math.log2(Math.max(2, initialCapacity)));
    this.locators = new Uint32Array(capacity).fill(EMPTY);
    this.hashes = new Uint32Array(capacity);
  }

  get size(): number {
    return this.count;
  }

  get byteLength(): number {
    return this.locators.byteLength + this.hashes.byteLength;
  }

  /** The slot holding the record of the id (`length` bytes of `id`, hashed `hash`), or -1. */
  find(id: Buffer, length: number, hash: number): number {
    const mask = this.locators.length - 1;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const locator = this.locators[slot];
      if (locator === EMPTY) return -1;
      if (
        this.hashes[slot] === hash &&
        recordIdEquals(this.arena.chunkOf(locator), this.arena.offsetOf(locator), id, length)
      )
        return slot;
    }
  }

  locatorAt(slot: number): number {
    return this.locators[slot];
  }

  /** Points an existing slot at the endpoint's new record. */
  replace(slot: number, locator: number): void {
    this.locators[slot] = locator;
  }

  /** Adds a record whose id is not in the table yet. */
  insert(hash: number, locator: number): void {
    if (this.count + 1 > this.locators.length * MAX_LOAD) this.grow();
    this.place(hash, locator);
    this.count++;
  }

  /**
   * Empties a slot, then moves later entries of its probe run back into the gap (backward
   * shift), so lookups never need tombstones and deletions leave no debris.
   */
  removeAt(slot: number): void {
    const mask = this.locators.length - 1;
    let gap = slot;
    for (let next = (gap + 1) & mask; this.locators[next] !== EMPTY; next = (next + 1) & mask) {
      const home = this.hashes[next] & mask;
      // The entry at `next` may move into the gap unless its home lies cyclically in (gap, next].
      const homeAfterGap = gap <= next ? home > gap && home <= next : home > gap || home <= next;
      if (homeAfterGap) continue;
      this.locators[gap] = this.locators[next];
      this.hashes[gap] = this.hashes[next];
      gap = next;
    }
    this.locators[gap] = EMPTY;
    this.count--;
  }

  private place(hash: number, locator: number): void {
    const mask = this.locators.length - 1;
    let slot = hash & mask;
    while (this.locators[slot] !== EMPTY) slot = (slot + 1) & mask;
    this.locators[slot] = locator;
    this.hashes[slot] = hash;
  }

  private grow(): void {
    const locators = this.locators;
    const hashes = this.hashes;
    this.locators = new Uint32Array(locators.length * 2).fill(EMPTY);
    this.hashes = new Uint32Array(locators.length * 2);
    for (let slot = 0; slot < locators.length; slot++)
      if (locators[slot] !== EMPTY) this.place(hashes[slot], locators[slot]);
  }
}
