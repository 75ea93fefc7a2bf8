/**
 * The shape of the runtime schema that `scripts/proto/generate.ts` writes into
 * `generated/rotor.v1.ts` and `validateMessage` reads. Kept free of imports so the
 * generator can load it without path aliases.
 */

/** Named string formats, set in proto with `[(rotor.v1.format) = "..."]`. */
export const STRING_FORMATS = [
  'endpoint_id',
  'key_id',
  'tenant_id',
  'http_url',
  'date_time',
  'signing_scheme',
  'public_key',
  'supplied_secret',
  'external_id',
] as const;
export type StringFormat = (typeof STRING_FORMATS)[number];

/** Longest string accepted when a field sets no `max_length`, in UTF-8 bytes. */
export const DEFAULT_MAX_STRING_BYTES = 4096;

export type ScalarKind =
  'string' | 'bool' | 'int32' | 'uint32' | 'int64' | 'uint64' | 'double' | 'float';

export type FieldKind = ScalarKind | 'enum' | 'message' | 'struct';

export interface FieldSchema {
  /** The proto3 JSON name (lowerCamelCase, or the field's json_name): the key on the wire. */
  readonly name: string;
  /** The name in the .proto file (snake_case). */
  readonly proto: string;
  readonly kind: FieldKind;
  /** Declared `optional`: may be absent. Every other field is required. */
  readonly optional: boolean;
  readonly repeated: boolean;
  /** kind 'message': the message's name. */
  readonly message?: string;
  /** kind 'enum': the enum's name and its values (the JSON strings). */
  readonly enum?: string;
  readonly values?: readonly string[];
  readonly format?: StringFormat;
  /** UTF-8 bytes. */
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly maxItems?: number;
}

export interface MessageSchema {
  readonly name: string;
  /** The .proto file, relative to proto/. */
  readonly file: string;
  readonly fields: readonly FieldSchema[];
}

export interface RpcSchema {
  readonly subject: string;
  /** e.g. `CommandService`. */
  readonly service: string;
  readonly method: string;
  readonly request: string;
  readonly reply: string;
}
