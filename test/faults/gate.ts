/**
 * Closed while a fault is being injected: a client's late retries wait for it to open, as
 * a real client backs off while a service is down, instead of hammering a system that is
 * restarting on the same two cores. Opened by an event (the process is ready again), never
 * by a timer.
 */
export interface Gate {
  readonly promise: Promise<void>;
  open(): void;
}

export function closedGate(): Gate {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

export function openGate(): Gate {
  const gate = closedGate();
  gate.open();
  return gate;
}
