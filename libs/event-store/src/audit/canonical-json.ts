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
  // Events written by Rotor store their keys in canonical order (`inCanonicalOrder`), so
  // read back they usually need no copy at all.
  if (value !== undefined && isInCanonicalOrder(value, 0)) return JSON.stringify(value);
  const sorted = sortedCopy(value, 0);
  // undefined at the top has no JSON form: the slow path says so.
  return sorted === UNSUPPORTED || sorted === undefined
    ? writeCanonically(value)
    : (JSON.stringify(sorted) as string);
}

/**
 * Fast path: a copy of `value` whose objects have their keys inserted in sorted order, so
 * that the native `JSON.stringify` writes the canonical form (several times faster than
 * writing it piece by piece: this is most of the cost of hashing an event). Only for what
 * `JSON.stringify` is known to write exactly as `writeCanonically` does: plain objects,
 * arrays, strings, finite numbers, booleans, null, undefined. Anything else, a key that
 * an object would not keep in insertion order (an array index such as "10") or whose
 * assignment means something else (`__proto__`), or nesting deep enough to be a cycle,
 * gives UNSUPPORTED, and the slow path decides (and throws where it must).
 */
const UNSUPPORTED: unique symbol = Symbol('unsupported');
const MAX_FAST_DEPTH = 100;

function sortedCopy(value: unknown, depth: number): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
    case 'undefined':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : UNSUPPORTED;
    case 'object': {
      if (value === null) return null;
      if (depth >= MAX_FAST_DEPTH) return UNSUPPORTED;
      if (Array.isArray(value)) {
        const copy = new Array<unknown>(value.length);
        for (let index = 0; index < value.length; index += 1) {
          const item = sortedCopy(value[index], depth + 1);
          if (item === UNSUPPORTED) return UNSUPPORTED;
          copy[index] = item;
        }
        return copy;
      }
      if (Object.getPrototypeOf(value) !== Object.prototype) return UNSUPPORTED;
      const keys = Object.keys(value).sort();
      const copy: Record<string, unknown> = {};
      for (const key of keys) {
        if (!keepsInsertionOrder(key)) return UNSUPPORTED;
        const item = sortedCopy((value as Record<string, unknown>)[key], depth + 1);
        if (item === UNSUPPORTED) return UNSUPPORTED;
        copy[key] = item;
      }
      return copy;
    }
    default:
      return UNSUPPORTED;
  }
}

/**
 * `value` with its objects' keys in canonical order (a copy where any were not), for storing:
 * an event stored so is hashed again on every read without a copy. `value` itself when the
 * fast path cannot take it (the hash is then written by the slow path, as before).
 */
export function inCanonicalOrder<T>(value: T): T {
  if (isInCanonicalOrder(value, 0)) return value;
  const sorted = sortedCopy(value, 0);
  return sorted === UNSUPPORTED ? value : (sorted as T);
}

/**
 * Whether the native `JSON.stringify` writes `value` exactly as the canonical form: the
 * fast path's values only, and every object's keys already in ascending order. Stops at
 * the first key out of order.
 */
function isInCanonicalOrder(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
    case 'undefined':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'object': {
      if (value === null) return true;
      if (depth >= MAX_FAST_DEPTH) return false;
      if (Array.isArray(value)) {
        for (let index = 0; index < value.length; index += 1)
          if (!isInCanonicalOrder(value[index], depth + 1)) return false;
        return true;
      }
      if (Object.getPrototypeOf(value) !== Object.prototype) return false;
      let previous: string | undefined;
      for (const key in value) {
        if (!Object.prototype.hasOwnProperty.call(value, key)) return false;
        if ((previous !== undefined && !(previous < key)) || !keepsInsertionOrder(key))
          return false;
        if (!isInCanonicalOrder((value as Record<string, unknown>)[key], depth + 1)) return false;
        previous = key;
      }
      return true;
    }
    default:
      return false;
  }
}

/** False for keys an object orders first (array indices) or that set its prototype. */
const keepsInsertionOrder = (key: string): boolean => {
  const first = key.charCodeAt(0);
  return !(first >= 48 && first <= 57) && key !== '__proto__';
};

/** The canonical form written piece by piece: the reference, for whatever the fast path declines. */
function writeCanonically(value: unknown): string {
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
