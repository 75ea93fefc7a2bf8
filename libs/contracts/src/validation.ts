import {
  ENDPOINT_ID_PATTERN,
  KEY_ID_PATTERN,
  PUBLIC_KEY_PATTERN,
  SIGNING_SCHEMES,
  TENANT_ID_PATTERN,
  MAX_SUPPLIED_SECRET_BYTES,
  MIN_SUPPLIED_SECRET_BYTES,
  SUPPLIED_SECRET_PREFIX,
  isExternalId,
  isSigningScheme,
  isSuppliedSecret,
} from '@rotor/domain';
import {
  MESSAGE_SCHEMAS,
  type FieldError,
  type MessageName,
  type RotorMessages,
} from './generated/rotor.v1';
import {
  DEFAULT_MAX_STRING_BYTES,
  type FieldSchema,
  type MessageSchema,
  type StringFormat,
} from './schema';

export type ValidationResult<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly errors: FieldError[] };

/** A reply carries at most this many field errors; the rest are summarised in one. */
export const MAX_FIELD_ERRORS = 20;

/**
 * Checks a decoded JSON value against a message of proto/ (the generated schema), strictly:
 * - every field not declared `optional` is present (repeated fields too: `[]` when empty);
 *   a field set to `undefined` counts as absent (the in-process transport skips JSON);
 * - `null` is never accepted, for any field: leave the field out instead;
 * - fields the message does not declare are rejected (JSON names only: `endpointId`, not
 *   `endpoint_id`);
 * - strings: at most `max_length` UTF-8 bytes (4096 when the proto sets none; 1 MiB for a
 *   payload to sign, 2048 for a URL), at least `min_length`, and the named `format`;
 * - int32/uint32/int64/uint64: JSON numbers that are integers in range (int64 within
 *   ±2^53-1); enums: one of their value names; Struct: any JSON object.
 * Errors carry the field's JSON path (`items[3].endpointId`), at most MAX_FIELD_ERRORS of
 * them. On success the value itself is returned (not a copy), typed as the message.
 */
export const validateMessage = <N extends MessageName>(
  messageName: N,
  value: unknown,
): ValidationResult<RotorMessages[N]> => {
  if (!Object.prototype.hasOwnProperty.call(MESSAGE_SCHEMAS, messageName))
    throw new TypeError(`unknown message ${String(messageName)}`);
  const errors = new Collector();
  checkMessage(MESSAGE_SCHEMAS[messageName], value, '', errors);
  return errors.list.length === 0
    ? { ok: true, value: value as RotorMessages[N] }
    : { ok: false, errors: errors.result() };
};

class Collector {
  readonly list: FieldError[] = [];
  private dropped = 0;
  add(field: string, message: string): void {
    if (this.list.length < MAX_FIELD_ERRORS) this.list.push({ field, message });
    else this.dropped += 1;
  }
  result(): FieldError[] {
    return this.dropped === 0
      ? this.list
      : [...this.list, { field: '', message: `and ${this.dropped} more errors` }];
  }
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const join = (path: string, name: string) => (path ? `${path}.${name}` : name);

const checkMessage = (schema: MessageSchema, value: unknown, path: string, errors: Collector) => {
  if (!isPlainObject(value)) {
    errors.add(path, `must be an object (${schema.name})`);
    return;
  }
  const declared = fieldIndex(schema);
  for (const key of Object.keys(value))
    if (!declared.has(key) && value[key] !== undefined)
      errors.add(join(path, key), 'is not a known field');
  for (const field of schema.fields) {
    const fieldPath = join(path, field.name);
    const fieldValue = value[field.name];
    if (fieldValue === undefined) {
      if (!field.optional) errors.add(fieldPath, 'is required');
    } else if (field.repeated) {
      checkList(field, fieldValue, fieldPath, errors);
    } else {
      checkValue(field, fieldValue, fieldPath, errors);
    }
  }
};

const indexes = new WeakMap<MessageSchema, ReadonlySet<string>>();
const fieldIndex = (schema: MessageSchema): ReadonlySet<string> => {
  let index = indexes.get(schema);
  if (!index) {
    index = new Set(schema.fields.map((f) => f.name));
    indexes.set(schema, index);
  }
  return index;
};

const checkList = (field: FieldSchema, value: unknown, path: string, errors: Collector) => {
  if (!Array.isArray(value)) {
    errors.add(path, 'must be an array');
    return;
  }
  if (field.maxItems !== undefined && value.length > field.maxItems) {
    errors.add(path, `must have at most ${field.maxItems} items`);
    return;
  }
  value.forEach((item, i) => checkValue(field, item, `${path}[${i}]`, errors));
};

const INTEGER_RANGES: Partial<Record<FieldSchema['kind'], readonly [number, number]>> = {
  int32: [-(2 ** 31), 2 ** 31 - 1],
  uint32: [0, 2 ** 32 - 1],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  uint64: [0, Number.MAX_SAFE_INTEGER],
};

const checkValue = (field: FieldSchema, value: unknown, path: string, errors: Collector) => {
  if (value === null) {
    errors.add(path, 'must not be null (leave the field out instead)');
    return;
  }
  switch (field.kind) {
    case 'string':
      if (typeof value !== 'string') errors.add(path, 'must be a string');
      else checkString(field, value, path, errors);
      return;
    case 'bool':
      if (typeof value !== 'boolean') errors.add(path, 'must be a boolean');
      return;
    case 'double':
    case 'float':
      if (typeof value !== 'number' || !Number.isFinite(value))
        errors.add(path, 'must be a number');
      return;
    case 'int32':
    case 'uint32':
    case 'int64':
    case 'uint64':
      checkInteger(field, value, path, errors);
      return;
    case 'enum':
      if (typeof value !== 'string' || !field.values?.includes(value))
        errors.add(path, `must be one of: ${(field.values ?? []).join(', ')}`);
      return;
    case 'struct':
      if (!isPlainObject(value)) errors.add(path, 'must be an object');
      return;
    case 'message': {
      const nested = MESSAGE_SCHEMAS[field.message as MessageName];
      checkMessage(nested, value, path, errors);
      return;
    }
  }
};

const checkInteger = (field: FieldSchema, value: unknown, path: string, errors: Collector) => {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    errors.add(path, 'must be an integer');
    return;
  }
  const [typeMin, typeMax] = INTEGER_RANGES[field.kind] as readonly [number, number];
  const min = Math.max(typeMin, field.minimum ?? typeMin);
  const max = Math.min(typeMax, field.maximum ?? typeMax);
  if (value < min || value > max) errors.add(path, `must be an integer from ${min} to ${max}`);
};

const checkString = (field: FieldSchema, value: string, path: string, errors: Collector) => {
  const max = field.maxLength ?? DEFAULT_MAX_STRING_BYTES;
  const min = field.minLength ?? 0;
  // A UTF-16 unit is 1 to 3 UTF-8 bytes (a surrogate pair 4): count bytes only when the
  // length alone cannot decide.
  if (value.length > max || (value.length * 3 > max && Buffer.byteLength(value) > max)) {
    errors.add(path, `must be at most ${max} bytes long`);
    return;
  }
  if (value.length < min && Buffer.byteLength(value) < min) {
    errors.add(path, min === 1 ? 'must not be empty' : `must be at least ${min} bytes long`);
    return;
  }
  if (field.format && !FORMATS[field.format].test(value))
    errors.add(path, `must be ${FORMATS[field.format].description}`);
};

interface Format {
  readonly description: string;
  test(value: string): boolean;
}

const RFC_3339 =
  /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d{1,9})?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$/i;

const FORMATS: Record<StringFormat, Format> = {
  endpoint_id: {
    description: 'an endpoint id (we_ + 32 lowercase hex characters)',
    test: (v) => ENDPOINT_ID_PATTERN.test(v),
  },
  key_id: {
    description: 'a key id (key_ + 26 characters of a ULID)',
    test: (v) => KEY_ID_PATTERN.test(v),
  },
  tenant_id: {
    description: 'a tenant id (1 to 64 of a-z 0-9 _ -, starting with a letter or digit)',
    test: (v) => TENANT_ID_PATTERN.test(v),
  },
  http_url: {
    description: 'an absolute http or https URL',
    test: (v) => {
      try {
        const url = new URL(v);
        return (url.protocol === 'https:' || url.protocol === 'http:') && url.hostname !== '';
      } catch {
        return false;
      }
    },
  },
  date_time: {
    description: 'an RFC 3339 date-time with a time zone (2025-01-31T12:00:00Z)',
    test: (v) => RFC_3339.test(v) && !Number.isNaN(Date.parse(v)),
  },
  signing_scheme: {
    description: `one of ${SIGNING_SCHEMES.join(', ')}`,
    test: isSigningScheme,
  },
  public_key: {
    description: 'an Ed25519 public key (whpk_ + base64 of 32 bytes)',
    test: (v) => PUBLIC_KEY_PATTERN.test(v),
  },
  // The description is all an error says: never the value, which is somebody's secret.
  supplied_secret: {
    description: `a ${SUPPLIED_SECRET_PREFIX} secret (${SUPPLIED_SECRET_PREFIX} + base64 of ${MIN_SUPPLIED_SECRET_BYTES} to ${MAX_SUPPLIED_SECRET_BYTES} bytes)`,
    test: isSuppliedSecret,
  },
  external_id: {
    description: 'an external id (1 to 128 printable ASCII characters)',
    test: isExternalId,
  },
};
