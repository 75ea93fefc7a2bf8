import type { EventLog, EventLogMessage } from '../event-log.port';

/** A message as a consumer sees it: its place in the log, its subject, its body. */
export interface LoggedMessage {
  /** 1, 2, 3, ... in append order: a consumer resumes after the last one it handled. */
  readonly sequence: number;
  readonly subject: string;
  readonly id: string;
  readonly body: unknown;
}

interface StoredMessage extends Omit<LoggedMessage, 'body'> {
  readonly position: string;
  readonly json: string;
}

/**
 * The all-in-one mode's event log, in memory for the life of the process (like its KV
 * views, it is rebuilt from the store at every start). Bodies are kept as JSON text, as the
 * wire would carry them. In-process consumers `subscribe` with a NATS-style subject filter
 * (`*` one token, `>` the rest) and a sequence to resume after.
 */
export class InMemoryEventLog implements EventLog {
  private readonly messages: StoredMessage[] = [];
  private readonly ids = new Set<string>();
  private readonly subscribers = new Set<(message: LoggedMessage) => void>();

  async lastPosition(): Promise<string | undefined> {
    return this.messages.at(-1)?.position;
  }

  async append(message: EventLogMessage): Promise<void> {
    if (this.ids.has(message.id)) return;
    this.ids.add(message.id);
    const stored: StoredMessage = {
      sequence: this.messages.length + 1,
      subject: message.subject,
      id: message.id,
      position: message.position,
      json: JSON.stringify(message.body),
    };
    this.messages.push(stored);
    for (const deliver of this.subscribers) deliver(this.view(stored));
  }

  /**
   * Delivers every message after `afterSequence` that matches `filter`, then each new one as
   * it is appended, in order, until the returned function is called.
   */
  subscribe(
    filter: string,
    onMessage: (message: LoggedMessage) => void,
    afterSequence = 0,
  ): () => void {
    const matches = subjectMatcher(filter);
    const deliver = (message: LoggedMessage) => {
      if (matches(message.subject)) onMessage(message);
    };
    for (const stored of this.messages.slice(afterSequence)) deliver(this.view(stored));
    this.subscribers.add(deliver);
    return () => this.subscribers.delete(deliver);
  }

  private view(stored: StoredMessage): LoggedMessage {
    return {
      sequence: stored.sequence,
      subject: stored.subject,
      id: stored.id,
      body: JSON.parse(stored.json) as unknown,
    };
  }
}

/** NATS subject matching: `*` is one token, a final `>` one or more. */
export const subjectMatcher = (filter: string): ((subject: string) => boolean) => {
  const wanted = filter.split('.');
  return (subject) => {
    const tokens = subject.split('.');
    for (let i = 0; i < wanted.length; i += 1) {
      if (wanted[i] === '>') return i === wanted.length - 1 && tokens.length > i;
      if (i >= tokens.length || (wanted[i] !== '*' && wanted[i] !== tokens[i])) return false;
    }
    return tokens.length === wanted.length;
  };
};
