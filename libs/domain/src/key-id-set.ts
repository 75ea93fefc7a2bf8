/**
 * The key ids an endpoint ever had, as a persistent set: `add` returns a new set and leaves
 * the old one as it was, like every other part of the state, yet costs O(1) instead of a
 * copy. Folding a stream of n rotations is then O(n), not O(n²), and `has` is O(1).
 *
 * How: versions share one insertion-ordered Map from id to insertion index; a version is
 * the first `size` entries of it. Adding to the newest version appends in place (older
 * versions do not see it: its index is past their size); adding to an older version, which
 * a fold never does, copies its entries first. Iteration and `toEqual` see only the
 * version's own ids (the Map is private), so two sets with the same ids compare equal.
 */
export class KeyIdSet implements Iterable<string> {
  readonly #indexes: Map<string, number>;
  readonly size: number;

  private constructor(indexes: Map<string, number>, size: number) {
    this.#indexes = indexes;
    this.size = size;
  }

  static of(...ids: readonly string[]): KeyIdSet {
    return ids.reduce((set, id) => set.add(id), new KeyIdSet(new Map(), 0));
  }

  has(id: string): boolean {
    const index = this.#indexes.get(id);
    return index !== undefined && index < this.size;
  }

  add(id: string): KeyIdSet {
    if (this.has(id)) return this;
    const shared = this.#indexes.size === this.size;
    const indexes = shared ? this.#indexes : new Map([...this].map((known, i) => [known, i]));
    indexes.set(id, this.size);
    return new KeyIdSet(indexes, this.size + 1);
  }

  *[Symbol.iterator](): Iterator<string> {
    let seen = 0;
    for (const id of this.#indexes.keys()) {
      if (seen >= this.size) return;
      seen += 1;
      yield id;
    }
  }
}
