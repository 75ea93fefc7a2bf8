/** Answers one request; the text is JSON, as a NATS payload would be. */
export type InProcessReply = (raw: string) => void;

/**
 * Receives one message; `reply` is there for a request, absent for an event; `subject` is
 * the subject it was published to (a wildcard subscription sees which one).
 */
export type InProcessListener = (
  raw: string,
  reply: InProcessReply | undefined,
  subject: string,
) => void;

interface Subscription {
  readonly listener: InProcessListener;
  readonly queue: string | undefined;
}

/**
 * The all-in-one mode's stand-in for a NATS server: a registry of subject -> listeners with
 * NATS delivery rules, on exact subjects and on `<prefix>.*` (one last token, as servers
 * subscribe to `<subject>.*` to learn the caller). A message goes to every listener
 * outside a queue group and to one member of each queue group, in turn. Delivery and replies
 * are asynchronous, as over a socket, so no caller ever runs inside its callee's stack.
 */
export class InProcessBus {
  private readonly subscriptions = new Map<string, Subscription[]>();
  private readonly turns = new Map<string, number>();

  /** Returns the unsubscribe function. */
  subscribe(subject: string, listener: InProcessListener, queue?: string): () => void {
    const subscription: Subscription = { listener, queue };
    this.subscriptions.set(subject, [...(this.subscriptions.get(subject) ?? []), subscription]);
    return () => {
      const remaining = (this.subscriptions.get(subject) ?? []).filter((s) => s !== subscription);
      if (remaining.length > 0) this.subscriptions.set(subject, remaining);
      else this.subscriptions.delete(subject);
    };
  }

  /** Returns how many listeners the message went to (0: nobody listens, as NATS would not tell). */
  publish(subject: string, raw: string, reply?: InProcessReply): number {
    const targets = this.pickTargets(subject);
    const lastDot = subject.lastIndexOf('.');
    if (lastDot > 0) targets.push(...this.pickTargets(`${subject.slice(0, lastDot)}.*`));
    const deferredReply: InProcessReply | undefined = reply
      ? (answer) => later(() => reply(answer))
      : undefined;
    for (const target of targets) later(() => target.listener(raw, deferredReply, subject));
    return targets.length;
  }

  /** Subjects someone listens on (diagnostics and tests). */
  subjects(): string[] {
    return [...this.subscriptions.keys()].sort();
  }

  private pickTargets(subject: string): Subscription[] {
    const all = this.subscriptions.get(subject) ?? [];
    const groups = new Map<string, Subscription[]>();
    const targets: Subscription[] = [];
    for (const subscription of all) {
      if (subscription.queue === undefined) targets.push(subscription);
      else
        groups.set(subscription.queue, [...(groups.get(subscription.queue) ?? []), subscription]);
    }
    for (const [queue, members] of groups) {
      const key = `${subject}\u0000${queue}`;
      const turn = this.turns.get(key) ?? 0;
      this.turns.set(key, turn + 1);
      targets.push(members[turn % members.length]);
    }
    return targets;
  }
}

/** A promise job rather than setImmediate/queueMicrotask: jest's fake timers leave it alone. */
function later(task: () => void): void {
  void Promise.resolve().then(task);
}
