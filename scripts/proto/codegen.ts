import * as fs from 'node:fs';
import * as path from 'node:path';
import * as protobuf from 'protobufjs';
import {
  STRING_FORMATS,
  type FieldSchema,
  type MessageSchema,
  type RpcSchema,
  type ScalarKind,
  type StringFormat,
} from '../../libs/contracts/src/schema';

/**
 * proto/ -> libs/contracts/src/generated/rotor.v1.ts: one TypeScript interface per message
 * (proto3 JSON names), a string union per enum, and the runtime schema `validateMessage`
 * reads. Pure and deterministic: the same .proto files give the same bytes, whatever the
 * order they are listed in, so `proto:check` can compare the output with the committed file.
 */
export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const PROTO_ROOT = path.join(REPO_ROOT, 'proto');
export const GENERATED_FILE = path.join(REPO_ROOT, 'libs/contracts/src/generated/rotor.v1.ts');
export const HEADER = '// generated from proto/, do not edit; npm run proto:gen';

const PACKAGE = 'rotor.v1';
const STRUCT = '.google.protobuf.Struct';
const OPTION = (name: string) => `(${PACKAGE}.${name})`;

const SCALARS: Record<string, ScalarKind> = {
  string: 'string',
  bool: 'bool',
  int32: 'int32',
  sint32: 'int32',
  sfixed32: 'int32',
  uint32: 'uint32',
  fixed32: 'uint32',
  int64: 'int64',
  sint64: 'int64',
  sfixed64: 'int64',
  uint64: 'uint64',
  fixed64: 'uint64',
  double: 'double',
  float: 'float',
};
const INTEGERS = new Set<ScalarKind>(['int32', 'uint32', 'int64', 'uint64']);
const FIELD_OPTIONS = new Set([
  'proto3_optional',
  'json_name',
  ...['max_length', 'min_length', 'format', 'minimum', 'maximum', 'max_items'].map(OPTION),
]);

/** Every .proto file under `protoRoot`, as sorted POSIX paths relative to it. */
export const listProtoFiles = (protoRoot = PROTO_ROOT): string[] => {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.proto'))
        found.push(path.relative(protoRoot, full).split(path.sep).join('/'));
    }
  };
  walk(protoRoot);
  return found.sort();
};

export const loadProtos = (protoRoot: string, files: readonly string[]): protobuf.Root => {
  const root = new protobuf.Root();
  // google/protobuf/struct.proto and friends are built into protobufjs; descriptor.proto
  // (for the custom options) ships with it as a file.
  const protobufjsDir = path.dirname(require.resolve('protobufjs/package.json'));
  root.resolvePath = (_origin, target) => {
    if (target in protobuf.common) return target;
    if (target.startsWith('google/protobuf/')) return path.join(protobufjsDir, target);
    return path.isAbsolute(target) ? target : path.join(protoRoot, target);
  };
  root.loadSync([...files].sort(), { keepCase: true, alternateCommentMode: true });
  root.resolveAll();
  return root;
};

/** The proto3 JSON name of a field, as protoc computes it: `endpoint_id` -> `endpointId`. */
export const jsonName = (protoName: string): string => {
  let out = '';
  let upper = false;
  for (const ch of protoName) {
    if (ch === '_') upper = true;
    else {
      out += upper ? ch.toUpperCase() : ch;
      upper = false;
    }
  }
  return out;
};

interface Declared {
  readonly file: string;
  readonly comment: string | null;
}
interface MessageDecl extends Declared, MessageSchema {
  readonly comments: ReadonlyMap<string, string | null>;
}
interface EnumDecl extends Declared {
  readonly name: string;
  readonly values: readonly string[];
  readonly comments: ReadonlyMap<string, string | null>;
}
interface RpcDecl extends Declared, RpcSchema {}

export interface ContractModel {
  readonly files: readonly string[];
  readonly messages: readonly MessageDecl[];
  readonly enums: readonly EnumDecl[];
  readonly rpcs: readonly RpcDecl[];
}

class ProtoError extends Error {}
const fail = (where: string, problem: string): never => {
  throw new ProtoError(`proto: ${where}: ${problem}`);
};

export const buildModel = (protoRoot = PROTO_ROOT, files = listProtoFiles(protoRoot)) => {
  const root = loadProtos(protoRoot, files);
  const pkg = root.lookup(PACKAGE);
  if (!(pkg instanceof protobuf.Namespace)) return fail(PACKAGE, 'package not found');
  const fileOf = (obj: protobuf.ReflectionObject) =>
    path
      .relative(protoRoot, obj.filename ?? '')
      .split(path.sep)
      .join('/');

  const messages: MessageDecl[] = [];
  const enums: EnumDecl[] = [];
  const rpcs: RpcDecl[] = [];
  for (const obj of pkg.nestedArray) {
    if (obj instanceof protobuf.Type) messages.push(messageOf(obj, fileOf(obj)));
    else if (obj instanceof protobuf.Enum) enums.push(enumOf(obj, fileOf(obj)));
    else if (obj instanceof protobuf.Service) rpcs.push(...rpcsOf(obj, fileOf(obj)));
    else if (obj instanceof protobuf.Field && obj.extend !== undefined)
      continue; // options.proto
    else fail(obj.name, `unsupported declaration ${obj.constructor.name}`);
  }
  // Files in path order, declarations in file order: independent of load order.
  const order = [...new Set([...messages, ...enums, ...rpcs].map((d) => d.file))].sort();
  const byFile = <T extends Declared>(decls: T[]) =>
    order.flatMap((file) => decls.filter((d) => d.file === file));
  const model: ContractModel = {
    files: order,
    messages: byFile(messages),
    enums: byFile(enums),
    rpcs: byFile(rpcs),
  };
  checkReferences(model);
  return model;
};

const messageOf = (type: protobuf.Type, file: string): MessageDecl => {
  const where = `${file}: message ${type.name}`;
  if (type.nestedArray.length > 0) fail(where, 'nested declarations are not supported');
  for (const oneof of type.oneofsArray) {
    const synthetic = oneof.fieldsArray.every((f) => f.options?.proto3_optional === true);
    if (!synthetic) fail(where, `oneof ${oneof.name} is not supported`);
  }
  const comments = new Map<string, string | null>();
  const fields = type.fieldsArray.map((field) => {
    const schema = fieldOf(field, `${where}.${field.name}`);
    comments.set(schema.name, field.comment);
    return schema;
  });
  const names = fields.map((f) => f.name);
  const clash = names.find((n, i) => names.indexOf(n) !== i);
  if (clash) fail(where, `two fields have the JSON name ${clash}`);
  return { name: type.name, file, comment: type.comment, fields, comments };
};

const fieldOf = (field: protobuf.Field, where: string): FieldSchema => {
  if (field instanceof protobuf.MapField) fail(where, 'map fields are not supported');
  const options: Record<string, unknown> = field.options ?? {};
  for (const key of Object.keys(options))
    if (!FIELD_OPTIONS.has(key)) fail(where, `unknown option ${key}`);
  const optional = options.proto3_optional === true;
  const repeated = field.repeated;
  // A json_name replaces the proto3 default, as in protoc (signer.proto: the HTTP header names).
  const named = options.json_name;
  if (named !== undefined && (typeof named !== 'string' || named === ''))
    fail(where, 'json_name must be a non-empty string');
  const name = (named as string | undefined) ?? jsonName(field.name);
  const base = { name, proto: field.name, optional, repeated };

  let kind: FieldSchema['kind'];
  const extra: Partial<Record<keyof FieldSchema, unknown>> = {};
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Enum) {
    kind = 'enum';
    extra.enum = resolved.name;
    extra.values = Object.keys(resolved.values);
  } else if (resolved instanceof protobuf.Type) {
    if (resolved.fullName === STRUCT) kind = 'struct';
    else if (resolved.parent?.fullName === `.${PACKAGE}`) {
      kind = 'message';
      extra.message = resolved.name;
    } else return fail(where, `type ${resolved.fullName} is not supported`);
  } else {
    const scalar = SCALARS[field.type];
    if (!scalar) return fail(where, `type ${field.type} is not supported`);
    kind = scalar;
  }

  const number = (name: string) => {
    const value = options[OPTION(name)];
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isSafeInteger(value))
      fail(where, `${OPTION(name)} must be an integer`);
    return value as number;
  };
  const format = options[OPTION('format')];
  if (format !== undefined) {
    if (!STRING_FORMATS.includes(format as StringFormat))
      fail(where, `unknown format ${String(format)} (known: ${STRING_FORMATS.join(', ')})`);
    extra.format = format;
  }
  extra.minLength = number('min_length');
  extra.maxLength = number('max_length');
  extra.minimum = number('minimum');
  extra.maximum = number('maximum');
  extra.maxItems = number('max_items');
  if (kind !== 'string' && [extra.format, extra.minLength, extra.maxLength].some(isSet))
    fail(where, 'format, min_length and max_length apply to strings only');
  if (!INTEGERS.has(kind as ScalarKind) && [extra.minimum, extra.maximum].some(isSet))
    fail(where, 'minimum and maximum apply to integers only');
  if (!repeated && isSet(extra.maxItems)) fail(where, 'max_items applies to repeated fields only');

  const schema: Record<string, unknown> = { ...base, kind };
  for (const [key, value] of Object.entries(extra)) if (isSet(value)) schema[key] = value;
  return schema as unknown as FieldSchema;
};

const isSet = (value: unknown) => value !== undefined;

const enumOf = (e: protobuf.Enum, file: string): EnumDecl => {
  const comments = new Map(Object.keys(e.values).map((v) => [v, e.comments[v] ?? null]));
  return { name: e.name, file, comment: e.comment, values: Object.keys(e.values), comments };
};

const rpcsOf = (service: protobuf.Service, file: string): RpcDecl[] =>
  service.methodsArray.map((method) => {
    const where = `${file}: rpc ${service.name}.${method.name}`;
    if (method.requestStream || method.responseStream) fail(where, 'streams are not supported');
    const subject = method.options?.[OPTION('subject')];
    if (typeof subject !== 'string' || !/^rotor\.[a-z]+\.[a-z][a-z-]*$/.test(subject))
      fail(where, `needs option (${PACKAGE}.subject) = "rotor.<service>.<verb>"`);
    const ownMessage = (t: protobuf.Type | null, what: string) =>
      t?.parent?.fullName === `.${PACKAGE}`
        ? t.name
        : fail(where, `${what} must be a message of ${PACKAGE}`);
    return {
      subject: subject as string,
      service: service.name,
      method: method.name,
      request: ownMessage(method.resolvedRequestType, 'the request'),
      reply: ownMessage(method.resolvedResponseType, 'the reply'),
      file,
      comment: method.comment,
    };
  });

/** Names a generated type must not take: they would shadow a global for every importer. */
const RESERVED = new Set([
  'Array',
  'Boolean',
  'Date',
  'Error',
  'Map',
  'Number',
  'Object',
  'Promise',
  'Record',
  'Set',
  'String',
  'Symbol',
  'JsonObject',
]);

/** `RotateSecret` -> `rotateSecret`: an rpc's key in SUBJECTS. */
const methodKey = (method: string) => method.charAt(0).toLowerCase() + method.slice(1);

/** The rpcs grouped by the `<service>` of their subject, in declaration order. */
const subjectsByService = (rpcs: readonly RpcDecl[]) => {
  const groups = new Map<string, RpcDecl[]>();
  for (const r of rpcs) {
    const service = r.subject.split('.')[1];
    groups.set(service, [...(groups.get(service) ?? []), r]);
  }
  return groups;
};

const checkReferences = (model: ContractModel) => {
  const subjects = model.rpcs.map((r) => r.subject);
  const dup = subjects.find((s, i) => subjects.indexOf(s) !== i);
  if (dup) fail(dup, 'two rpcs use this subject');
  for (const [service, rpcs] of subjectsByService(model.rpcs)) {
    const keys = rpcs.map((r) => methodKey(r.method));
    const same = keys.find((k, i) => keys.indexOf(k) !== i);
    if (same) fail(`SUBJECTS.${service}.${same}`, 'two rpcs of this service share a method name');
  }
  const names = [...model.messages, ...model.enums].map((d) => d.name);
  const clash = names.find((n, i) => names.indexOf(n) !== i);
  if (clash) fail(clash, 'declared twice');
  const reserved = names.find((n) => RESERVED.has(n));
  if (reserved) fail(reserved, 'this name would shadow a TypeScript global: choose another');
};

// ---------------------------------------------------------------------------- rendering

const quote = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** A property name as TypeScript needs it: quoted unless an identifier (`'webhook-id'`). */
const property = (name: string) => (/^[A-Za-z_$][\w$]*$/.test(name) ? name : quote(name));

const doc = (comment: string | null | undefined, indent = ''): string[] => {
  if (!comment) return [];
  const lines = comment.replace(/\*\//g, '*\\/').split('\n');
  if (lines.length === 1) return [`${indent}/** ${lines[0]} */`];
  return [`${indent}/**`, ...lines.map((l) => `${indent} *${l ? ` ${l}` : ''}`), `${indent} */`];
};

const tsType = (field: FieldSchema): string => {
  const one = (() => {
    switch (field.kind) {
      case 'string':
        return 'string';
      case 'bool':
        return 'boolean';
      case 'enum':
        return field.enum as string;
      case 'message':
        return field.message as string;
      case 'struct':
        return 'JsonObject';
      default:
        return 'number';
    }
  })();
  return field.repeated ? `readonly ${one}[]` : one;
};

const KEY_ORDER: readonly (keyof FieldSchema)[] = [
  'name',
  'proto',
  'kind',
  'optional',
  'repeated',
  'message',
  'enum',
  'values',
  'format',
  'minLength',
  'maxLength',
  'minimum',
  'maximum',
  'maxItems',
];

const literal = (value: unknown): string =>
  typeof value === 'string'
    ? quote(value)
    : Array.isArray(value)
      ? `[${value.map(literal).join(', ')}]`
      : String(value);

const fieldLiteral = (field: FieldSchema) => {
  const record = field as unknown as Record<string, unknown>;
  const parts = KEY_ORDER.filter((k) => record[k] !== undefined).map(
    (k) => `${k}: ${literal(record[k])}`,
  );
  return `{ ${parts.join(', ')} }`;
};

export const renderModel = (model: ContractModel): string => {
  const out: string[] = [
    HEADER,
    `// Sources: ${model.files.map((f) => `proto/${f}`).join(', ')}.`,
    '// Conventions (JSON wire format, lowerCamelCase names unless a field sets json_name,',
    '// `optional` = may be absent): see the top of any .proto file.',
    '/* eslint-disable */',
    '',
    "import type { MessageSchema, RpcSchema } from '../schema';",
    '',
    '/** Any JSON object (google.protobuf.Struct). */',
    'export type JsonObject = { readonly [key: string]: unknown };',
  ];

  for (const file of model.files) {
    const enums = model.enums.filter((e) => e.file === file);
    const messages = model.messages.filter((m) => m.file === file);
    if (enums.length + messages.length === 0) continue;
    out.push('', `// ---- proto/${file}`);
    for (const e of enums) {
      out.push('', ...doc(e.comment), `export type ${e.name} =`);
      e.values.forEach((v, i) => {
        out.push(...doc(e.comments.get(v), '  '));
        out.push(`  | ${quote(v)}${i === e.values.length - 1 ? ';' : ''}`);
      });
    }
    for (const m of messages) {
      out.push('', ...doc(m.comment), `export interface ${m.name} {`);
      for (const f of m.fields) {
        out.push(...doc(m.comments.get(f.name), '  '));
        out.push(`  readonly ${property(f.name)}${f.optional ? '?' : ''}: ${tsType(f)};`);
      }
      out.push('}');
    }
  }

  out.push(
    '',
    '// ---- index',
    '',
    '/** Every message, by name. */',
    'export interface RotorMessages {',
  );
  for (const m of model.messages) out.push(`  ${m.name}: ${m.name};`);
  out.push('}', '', 'export type MessageName = keyof RotorMessages;');

  out.push(
    '',
    '/** The request and reply of every NATS subject. */',
    'export interface RotorRpcs {',
  );
  for (const r of model.rpcs) {
    out.push(...doc(r.comment, '  '));
    out.push(`  ${quote(r.subject)}: { request: ${r.request}; reply: ${r.reply} };`);
  }
  out.push(
    '}',
    '',
    'export type RpcSubject = keyof RotorRpcs;',
    "export type RequestOf<S extends RpcSubject> = RotorRpcs[S]['request'];",
    "export type ReplyOf<S extends RpcSubject> = RotorRpcs[S]['reply'];",
  );

  out.push(
    '',
    '/** Every subject by service and method (`rotor.<service>.<verb>`): SUBJECTS.signer.sign. */',
    'export const SUBJECTS = {',
  );
  for (const [service, rpcs] of subjectsByService(model.rpcs)) {
    out.push(`  ${service}: {`);
    for (const r of rpcs) out.push(`    ${methodKey(r.method)}: ${quote(r.subject)},`);
    out.push('  },');
  }
  out.push('} as const;');

  out.push(
    '',
    '/** The values of every enum, in declaration order. */',
    'export const ENUM_VALUES = {',
  );
  for (const e of model.enums) out.push(`  ${e.name}: ${literal(e.values)},`);
  out.push('} as const;');

  out.push(
    '',
    '/** The runtime schema of every message: what `validateMessage` checks. */',
    'export const MESSAGE_SCHEMAS: { readonly [N in MessageName]: MessageSchema } = {',
  );
  for (const m of model.messages) {
    out.push(`  ${m.name}: {`, `    name: ${quote(m.name)},`, `    file: ${quote(m.file)},`);
    if (m.fields.length === 0) out.push('    fields: [],');
    else {
      out.push('    fields: [');
      for (const f of m.fields) out.push(`      ${fieldLiteral(f)},`);
      out.push('    ],');
    }
    out.push('  },');
  }
  out.push('};');

  out.push(
    '',
    '/** Every subject: which service method serves it, and its message names. */',
    'export const RPC_SCHEMAS: {',
    '  readonly [S in RpcSubject]: RpcSchema & { readonly request: MessageName; readonly reply: MessageName };',
    '} = {',
  );
  for (const r of model.rpcs) {
    const fields = (['subject', 'service', 'method', 'request', 'reply'] as const)
      .map((k) => `${k}: ${quote(r[k])}`)
      .join(', ');
    out.push(`  ${quote(r.subject)}: { ${fields} },`);
  }
  out.push('};', '');
  return out.join('\n');
};

/** The generated file's contents for the .proto files under `protoRoot`. */
export const renderContracts = (protoRoot = PROTO_ROOT, files?: readonly string[]): string =>
  renderModel(buildModel(protoRoot, files ? [...files] : listProtoFiles(protoRoot)));
