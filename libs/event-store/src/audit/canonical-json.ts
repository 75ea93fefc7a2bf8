/**
 * Canonical JSON: object keys sorted by UTF-16 code units, no whitespace, numbers and
 * strings as `JSON.stringify` writes them. This is RFC 8785 (JCS) for every value Rotor
 * stores, so any language can recompute an event's hash from its stored JSON.
 *
 * Stricter than `JSON.stringify` where silence would make a hash lie: a non-finite
 * number (stored as `null`), a BigInt or a cycle throws instead of being rewritten.
 * Like `JSON.stringify`, properties whose value is `undefined` are left out, because
 * that is how they come back after a round trip through the store.
 */
export function canonicalJson(value: unknown): string {
  const ancestors = new Set<object>();

  const write = (raw: unknown, key: string): string | undefined => {
    const value = hasToJson(raw) ? raw.toJSON(key) : raw;
    switch (typeof value) {
      case 'string':
        return JSON.stringify(value);
      case 'number':
        if (!Number.isFinite(value))
          throw new TypeError(`canonical JSON: ${value} at "${key}" has no JSON form`);
        return JSON.stringify(value);
      case 'boolean':
        return value ? 'true' : 'false';
      case 'bigint':
        throw new TypeError(`canonical JSON: BigInt at "${key}" has no JSON form`);
      case 'undefined':
      case 'function':
      case 'symbol':
        return undefined;
      default:
        return value === null ? 'null' : writeObject(value as object);
    }
  };

  const writeObject = (value: object): string => {
    if (ancestors.has(value)) throw new TypeError('canonical JSON: circular structure');
    ancestors.add(value);
    try {
      if (Array.isArray(value))
        return `[${value.map((item, index) => write(item, String(index)) ?? 'null').join(',')}]`;
      const members: string[] = [];
      for (const key of Object.keys(value).sort()) {
        const written = write((value as Record<string, unknown>)[key], key);
        if (written !== undefined) members.push(`${JSON.stringify(key)}:${written}`);
      }
      return `{${members.join(',')}}`;
    } finally {
      ancestors.delete(value);
    }
  };

  const written = write(value, '');
  if (written === undefined)
    throw new TypeError(`canonical JSON: ${typeof value} has no JSON form`);
  return written;
}

const hasToJson = (value: unknown): value is { toJSON(key: string): unknown } =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as { toJSON?: unknown }).toJSON === 'function';
