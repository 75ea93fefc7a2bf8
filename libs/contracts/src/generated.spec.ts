import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  GENERATED_FILE,
  HEADER,
  PROTO_ROOT,
  jsonName,
  listProtoFiles,
  renderContracts,
} from '../../../scripts/proto/codegen';
import { staleness } from '../../../scripts/proto/check';
import {
  MESSAGE_SCHEMAS,
  RPC_SCHEMAS,
  SUBJECTS,
  type MessageName,
  type RpcSubject,
} from './generated/rotor.v1';

describe('generated contracts', () => {
  const generated = renderContracts();

  it('are current: the committed file is what proto/ generates (npm run proto:check)', () => {
    const committed = fs.readFileSync(GENERATED_FILE, 'utf8');
    expect(staleness(generated, committed)).toBeUndefined();
  });

  it('are generated deterministically, whatever the order of the .proto files', () => {
    const files = listProtoFiles();
    expect(files).toEqual([...files].sort());
    expect(renderContracts(PROTO_ROOT, [...files].reverse())).toBe(generated);
    expect(renderContracts()).toBe(generated);
  });

  it('start with the do-not-edit header', () => {
    expect(generated.split('\n')[0]).toBe(HEADER);
  });

  it('name a stale file and the first differing line', () => {
    expect(staleness('a\nb\n', 'a\nc\n')).toBe(
      'first difference at line 2:\n  expected: b\n  found:    c',
    );
    expect(staleness('a\n', undefined)).toMatch(/missing/);
  });

  it('name every subject once in SUBJECTS, by its service and its method', () => {
    const subjects = Object.values(SUBJECTS).flatMap((verbs) => Object.values(verbs));
    expect(Object.keys(RPC_SCHEMAS).sort()).toEqual([...subjects].sort());
    for (const [service, verbs] of Object.entries(SUBJECTS))
      for (const [method, subject] of Object.entries(verbs))
        expect(RPC_SCHEMAS[subject as RpcSubject]).toMatchObject({
          subject: expect.stringMatching(new RegExp(`^rotor\\.${service}\\.`)),
          method: method.charAt(0).toUpperCase() + method.slice(1),
        });
    expect(SUBJECTS.command.rotateSecret).toBe('rotor.command.rotate-secret');
  });

  it('refer only to messages they define', () => {
    const names = new Set(Object.keys(MESSAGE_SCHEMAS));
    for (const rpc of Object.values(RPC_SCHEMAS)) {
      expect(names).toContain(rpc.request);
      expect(names).toContain(rpc.reply);
    }
    for (const schema of Object.values(MESSAGE_SCHEMAS))
      for (const field of schema.fields)
        if (field.kind === 'message') expect(names).toContain(field.message as MessageName);
  });

  it('use the proto3 JSON names', () => {
    expect(jsonName('endpoint_id')).toBe('endpointId');
    expect(jsonName('previous_key_expires_at')).toBe('previousKeyExpiresAt');
    expect(jsonName('url')).toBe('url');
    expect(MESSAGE_SCHEMAS.SignatureHeaders.fields.map((f) => f.name)).toEqual([
      'webhook-id',
      'webhook-timestamp',
      'webhook-signature',
    ]);
  });
});

describe('the generator', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rotor-proto-'));
    fs.mkdirSync(path.join(dir, 'rotor/v1'), { recursive: true });
    fs.copyFileSync(
      path.join(PROTO_ROOT, 'rotor/v1/options.proto'),
      path.join(dir, 'rotor/v1/options.proto'),
    );
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const generate = (body: string) => {
    const source = `syntax = "proto3";\npackage rotor.v1;\nimport "rotor/v1/options.proto";\n${body}`;
    fs.writeFileSync(path.join(dir, 'rotor/v1/test.proto'), source);
    return renderContracts(dir);
  };

  it('maps optional, repeated, int64, enums and Struct', () => {
    const out = generate(`
      import "google/protobuf/struct.proto";
      enum Colour { red = 0; blue = 1; }
      message Item { string id = 1; }
      message Sample {
        optional string note = 1;
        repeated Item items = 2;
        int64 at = 3;
        Colour colour = 4;
        google.protobuf.Struct data = 5;
      }`);
    expect(out).toContain("export type Colour =\n  | 'red'\n  | 'blue';");
    expect(out).toContain(
      [
        'export interface Sample {',
        '  readonly note?: string;',
        '  readonly items: readonly Item[];',
        '  readonly at: number;',
        '  readonly colour: Colour;',
        '  readonly data: JsonObject;',
        '}',
      ].join('\n'),
    );
  });

  it('keys a field by its json_name, quoted when it is no identifier', () => {
    const out = generate('message H { string id = 1 [json_name = "webhook-id"]; }');
    expect(out).toContain("export interface H {\n  readonly 'webhook-id': string;\n}");
    expect(out).toContain("{ name: 'webhook-id', proto: 'id', kind: 'string'");
  });

  it.each([
    [
      'an unknown option',
      'message M { string a = 1 [(rotor.v1.maxlength) = 3]; }',
      /unknown option/,
    ],
    [
      'an unknown format',
      'message M { string a = 1 [(rotor.v1.format) = "uuid"]; }',
      /unknown format uuid/,
    ],
    [
      'a length bound on a number',
      'message M { int32 a = 1 [(rotor.v1.max_length) = 3]; }',
      /strings only/,
    ],
    ['a map field', 'message M { map<string, string> a = 1; }', /map fields/],
    ['bytes', 'message M { bytes a = 1; }', /type bytes is not supported/],
    ['a oneof', 'message M { oneof o { string a = 1; string b = 2; } }', /oneof o/],
    ['a global name', 'message Error { string a = 1; }', /shadow a TypeScript global/],
    [
      'two rpcs of one service with one method name',
      'message M { string a = 1; }\n' +
        'service S { rpc Do(M) returns (M) { option (rotor.v1.subject) = "rotor.s.a"; } }\n' +
        'service T { rpc Do(M) returns (M) { option (rotor.v1.subject) = "rotor.s.b"; } }',
      /share a method name/,
    ],
    [
      'an rpc without subject',
      'message M { string a = 1; }\nservice S { rpc Do(M) returns (M); }',
      /needs option/,
    ],
  ])('rejects %s', (_what, body, error) => {
    expect(() => generate(body)).toThrow(error);
  });
});
