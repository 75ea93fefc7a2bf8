import {
  EventStoreUnavailableError,
  StreamDeletedError,
  WrongExpectedRevisionError,
  type ExpectedRevision,
  type GlobalPosition,
  type ReadStreamOptions,
  type StreamFilter,
} from '../event-store.port';
import type { SerializedEvent } from '../store-input';
import type { SqliteEventStoreOptions } from './sqlite-event-store';

/** What the main thread and the store's worker thread say to each other. */
export interface StoreWorkerData {
  readonly path: string;
  readonly options: SqliteEventStoreOptions;
}

export type WorkerRequest =
  | {
      readonly id: number;
      readonly op: 'append';
      readonly stream: string;
      readonly events: readonly SerializedEvent[];
      readonly expected: ExpectedRevision;
    }
  | {
      readonly id: number;
      readonly op: 'read';
      readonly stream: string;
      readonly options?: ReadStreamOptions;
    }
  | {
      readonly id: number;
      readonly op: 'page';
      readonly after: GlobalPosition;
      readonly filter?: StreamFilter;
    }
  | { readonly id: number; readonly op: 'deleteStream'; readonly stream: string }
  | { readonly id: number; readonly op: 'ping' }
  | { readonly id: number; readonly op: 'checkWritable' }
  | { readonly id: number; readonly op: 'stats' }
  | { readonly id: number; readonly op: 'close' };

/** Distributes `Omit` over the union, so each request keeps its own fields. */
export type WorkerRequestBody = WorkerRequest extends infer R
  ? R extends WorkerRequest
    ? Omit<R, 'id'>
    : never
  : never;

export type WorkerReply =
  | { readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly id: number; readonly ok: false; readonly error: SerializedError };

/** Errors cross the thread boundary as data and become the port's typed errors again. */
export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly stream?: string;
  readonly expected?: ExpectedRevision;
  readonly actual?: ExpectedRevision;
}

export function serializeError(error: unknown): SerializedError {
  if (error instanceof WrongExpectedRevisionError)
    return {
      name: error.name,
      message: error.message,
      stream: error.stream,
      expected: error.expected,
      actual: error.actual,
    };
  if (error instanceof StreamDeletedError)
    return { name: error.name, message: error.message, stream: error.stream };
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: 'Error', message: String(error) };
}

export function deserializeError(error: SerializedError): Error {
  switch (error.name) {
    case 'WrongExpectedRevisionError':
      return new WrongExpectedRevisionError(error.stream!, error.expected!, error.actual!);
    case 'StreamDeletedError':
      return new StreamDeletedError(error.stream!);
    case 'EventStoreUnavailableError':
      return new EventStoreUnavailableError(error.message);
    case 'TypeError':
      return new TypeError(error.message);
    case 'RangeError':
      return new RangeError(error.message);
    default:
      return Object.assign(new Error(error.message), { name: error.name });
  }
}
