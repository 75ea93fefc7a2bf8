import { jsonShapeProblem, MAX_JSON_DEPTH } from './json-shape';

describe('jsonShapeProblem: what no request body may hold', () => {
  it('accepts an ordinary body', () => {
    expect(
      jsonShapeProblem({ url: 'https://x.test', rotation_policy: { every_seconds: 60 } }),
    ).toBe(undefined);
  });

  it('refuses nesting deeper than the limit without recursion (4,000 and 1,000,000 levels)', () => {
    for (const levels of [MAX_JSON_DEPTH + 1, 4_000, 1_000_000]) {
      const body = JSON.parse(`{"a":${'['.repeat(levels)}${']'.repeat(levels)}}`);
      expect(jsonShapeProblem(body)).toEqual({ kind: 'too_deep' });
    }
  });

  it('refuses null values, naming the REST field', () => {
    expect(jsonShapeProblem({ expire_current_in: null, force: null })).toEqual({
      kind: 'fields',
      problems: expect.arrayContaining([
        expect.objectContaining({ param: 'expire_current_in', code: 'not_null' }),
        expect.objectContaining({ param: 'force', code: 'not_null' }),
      ]),
    });
  });

  it.each(['toString', 'constructor', '__proto__', 'hasOwnProperty', 'prototype'])(
    'refuses a field named %s, at any depth',
    (name) => {
      for (const text of [`{"${name}":1}`, `{"rotation_policy":{"${name}":1}}`])
        expect(jsonShapeProblem(JSON.parse(text))).toEqual({
          kind: 'fields',
          problems: [expect.objectContaining({ code: 'unknown_field' })],
        });
    },
  );
});
