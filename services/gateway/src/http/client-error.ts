import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { PROBLEM_CONTENT_TYPE } from '../gateway.constants';
import { problemBody } from './problem.filter';

const STATUS_BY_CODE: Record<string, { status: number; code: string; detail: string }> = {
  HPE_HEADER_OVERFLOW: {
    status: 431,
    code: 'headers_too_large',
    detail: 'the request headers are too large',
  },
  ERR_HTTP_REQUEST_TIMEOUT: {
    status: 408,
    code: 'request_timeout',
    detail: 'the request took too long to arrive',
  },
};

/**
 * Requests Node's HTTP parser refuses never reach Express; Node would answer a bare 400.
 * This answers problem+json instead, then closes the connection (its state is unknown).
 */
export const problemOnClientError = (error: Error & { code?: string }, socket: Duplex): void => {
  const message = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (error.code === 'ECONNRESET' || !socket.writable || message?.headersSent) {
    socket.destroy();
    return;
  }
  const problem = STATUS_BY_CODE[error.code ?? ''] ?? {
    status: 400,
    code: 'bad_request',
    detail: 'the request is not valid HTTP',
  };
  const body = JSON.stringify(problemBody(problem, '/'));
  socket.end(
    `HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status]}\r\n` +
      `Content-Type: ${PROBLEM_CONTENT_TYPE}\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
};
