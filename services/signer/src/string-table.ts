/**
 * Interns strings that repeat across many endpoints (tenant ids, signing schemes): the ring
 * keeps a small index per endpoint instead of its own copy of the string. Entries are never
 * removed: the tables hold distinct tenants and schemes, far fewer than endpoints.
 */
export class StringTable {
  private readonly indexOf = new Map<string, number>();
  private readonly strings: string[] = [];

  /** The string's index, adding it on first sight. */
  intern(text: string): number {
    let index = this.indexOf.get(text);
    if (index === undefined) {
      index = this.strings.length;
      this.strings.push(text);
      this.indexOf.set(text, index);
    }
    return index;
  }

  at(index: number): string {
    const text = this.strings[index];
    if (text === undefined) throw new RangeError(`no interned string at ${index}`);
    return text;
  }

  get size(): number {
    return this.strings.length;
  }
}
