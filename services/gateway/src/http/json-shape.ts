import type { FieldProblem } from './problem';

/** Deeper than any request of the API needs (its deepest is 3), far below a stack overflow. */
export const MAX_JSON_DEPTH = 32;

/**
 * Names that are never a field of the API but are properties of every object: accepting
 * them as fields lets a body reach `Object.prototype` through a mapper or a validator.
 */
const PROTOTYPE_NAMES = new Set([
  '__proto__',
  'prototype',
  ...Object.getOwnPropertyNames(Object.prototype),
]);

export type JsonShapeProblem =
  { readonly kind: 'too_deep' } | { readonly kind: 'fields'; readonly problems: FieldProblem[] };

/**
 * Checks a parsed body before anything else reads it, iteratively (no recursion, so no
 * body can overflow the stack): nesting depth, `null` values (the API has no nullable
 * input: omit a field instead), and prototype-named fields. Field names are the REST ones.
 */
export function jsonShapeProblem(body: unknown): JsonShapeProblem | undefined {
  const problems: FieldProblem[] = [];
  const stack: { value: unknown; path: string; depth: number }[] = [
    { value: body, path: '', depth: 0 },
  ];
  while (stack.length > 0) {
    const { value, path, depth } = stack.pop()!;
    if (value === null || typeof value !== 'object') continue;
    if (depth >= MAX_JSON_DEPTH) return { kind: 'too_deep' };
    const entries: [string, unknown][] = Array.isArray(value)
      ? value.map((item, index) => [String(index), item])
      : Object.keys(value).map((key) => [key, (value as Record<string, unknown>)[key]]);
    for (const [key, item] of entries) {
      const param = path ? `${path}.${key}` : key;
      if (!Array.isArray(value) && PROTOTYPE_NAMES.has(key))
        problems.push({ param, code: 'unknown_field', detail: `${param} is not a known field` });
      else if (item === null)
        problems.push({ param, code: 'not_null', detail: `${param} must not be null; omit it` });
      else stack.push({ value: item, path: param, depth: depth + 1 });
    }
    if (problems.length >= 20) break;
  }
  return problems.length > 0 ? { kind: 'fields', problems } : undefined;
}
