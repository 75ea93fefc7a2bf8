import { errorReply, INTERNAL_ERROR, INVALID_REQUEST, isErrorReply } from '@rotor/contracts';
import type { ErrorReply } from '@rotor/contracts';
import { isUtf8 } from 'node:buffer';
import { RpcReplyError, RpcTransportError } from './rpc-errors';

/**
 * Rotor's wire format, the same over NATS and over the all-in-one in-process bus (README:
 * "The NATS API"):
 * - a caller publishes to `<subject>.<caller>` (`rotor.command.rotate-secret.gateway`), where
 *   `<caller>` is its NATS user name; a service subscribes to `<subject>.*` in its queue group
 *   and hands the handler the caller token;
 * - a caller receives replies under the inbox prefix `_INBOX_<caller>`;
 * - the request body is the JSON of the proto request message, a JSON object;
 * - the reply body is the JSON of the proto reply message, or `{"error": ErrorBody}`.
 * No envelope, no message id, no headers.
 */

/** A caller token: one NATS subject token, so no `.`, `*`, `>` or whitespace. */
const CALLER_TOKEN = /^[A-Za-z0-9_-]{1,64}$/;

export const isCallerToken = (caller: string): boolean => CALLER_TOKEN.test(caller);

export function assertCallerToken(caller: string): string {
  if (!isCallerToken(caller))
    throw new Error(
      `invalid NATS caller ${JSON.stringify(caller)}: letters, digits, '-' and '_' only (it becomes a subject token)`,
    );
  return caller;
}

/** The subject a caller publishes a request of `subject` to. */
export const callerSubject = (subject: string, caller: string): string => `${subject}.${caller}`;

/** The subject a service subscribes to, to serve `subject` for every caller. */
export const servedSubject = (subject: string): string => `${subject}.*`;

/** nats.js `inboxPrefix` of a caller's connection: its replies arrive under it only. */
export const inboxPrefixOf = (caller: string): string => `_INBOX_${assertCallerToken(caller)}`;

/** The biggest request a service reads: deploy/nats/nats.conf's max_payload. */
export const MAX_REQUEST_BYTES = 8 * 1024 * 1024;

/**
 * The deepest nesting of objects and arrays a request may have. The deepest proto message
 * nests 4 levels; the bound keeps the recursive validator and JSON.parse far from the stack.
 */
export const MAX_REQUEST_DEPTH = 64;

export type DecodedRequest =
  | { readonly ok: true; readonly value: Record<string, unknown> }
  | { readonly ok: false; readonly error: ErrorReply };

/**
 * Reads a request body, never throwing: a JSON object, or the `invalid_request` (400) error
 * reply that says what is wrong with it. Size and depth are checked before parsing, so a
 * hostile body costs one linear scan; a valid one is parsed once and never throws.
 */
export function decodeRequest(data: Uint8Array | string): DecodedRequest {
  const text = typeof data === 'string' ? data : utf8Text(data);
  if (text === undefined) return malformed('the request is not UTF-8 text');
  if (text.length === 0)
    return malformed('the request is empty: send the JSON of the request message');
  if (exceedsBytes(text)) return malformed(`the request is larger than ${MAX_REQUEST_BYTES} bytes`);
  if (nestsDeeperThan(text, MAX_REQUEST_DEPTH))
    return malformed(`the request nests deeper than ${MAX_REQUEST_DEPTH} levels`);
  const parsed = parseJson(text);
  if (!parsed.ok) return malformed('the request is not valid JSON');
  const { value } = parsed;
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return malformed(
      `the request must be a JSON object (the request message), not ${kindOf(value)}`,
    );
  return { ok: true, value: value as Record<string, unknown> };
}

/** The body of a reply: the value as JSON, once; a handler that returned nothing sends `{}`. */
export const encodeReply = (value: unknown): string => JSON.stringify(value) ?? '{}';

/** What a reply says when nothing better can be said; never carries internals. */
export const INTERNAL_ERROR_REPLY: ErrorReply = errorReply(INTERNAL_ERROR, 'internal error', 500);
export const INTERNAL_ERROR_TEXT = JSON.stringify(INTERNAL_ERROR_REPLY);

/** The body of a request, as a caller sends it: JSON, once. */
export function encodeRequest(subject: string, payload: unknown): string {
  try {
    return JSON.stringify(payload) ?? '{}';
  } catch (cause) {
    throw new RpcTransportError(subject, cause);
  }
}

/** A reply as the caller sees it: the reply message, or a thrown `RpcReplyError`. */
export function decodeReply<T>(subject: string, data: Uint8Array | string): T {
  const text = typeof data === 'string' ? data : decoder.decode(data);
  const parsed = parseJson(text);
  if (!parsed.ok) throw new RpcTransportError(subject, new Error('the reply is not JSON'));
  if (isErrorReply(parsed.value)) throw new RpcReplyError(subject, parsed.value.error);
  return parsed.value as T;
}

const decoder = new TextDecoder();

function utf8Text(data: Uint8Array): string | undefined {
  if (data.byteLength === 0) return '';
  return isUtf8(data) ? decoder.decode(data) : undefined;
}

/** A string of n UTF-16 units is n to 3n bytes of UTF-8: count only when it matters. */
const exceedsBytes = (text: string): boolean =>
  text.length > MAX_REQUEST_BYTES ||
  (text.length * 3 > MAX_REQUEST_BYTES && Buffer.byteLength(text) > MAX_REQUEST_BYTES);

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Bracket depth outside strings, without parsing; a text too short to be that deep is skipped. */
export function nestsDeeperThan(text: string, max: number): boolean {
  if (text.length <= max) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > max) return true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--;
  }
  return false;
}

/** The one place that parses JSON from the wire; it throws only on malformed input. */
function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

const malformed = (message: string): DecodedRequest => ({
  ok: false,
  error: errorReply(INVALID_REQUEST, message, 400),
});

const kindOf = (value: unknown): string =>
  value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
