import type { ProgressStream } from './output';

/**
 * Progress on stderr while a command walks the event feed: a bar when the end of the feed
 * is known (the embedded store's last position), otherwise a spinner with the rate. Drawn
 * only on a terminal; piped, a command prints nothing but its result.
 */
export interface ProgressSnapshot {
  readonly label: string;
  readonly count: number;
  readonly elapsedMs: number;
  /** 0..1 when the end is known. */
  readonly fraction?: number;
  /** Which spinner frame to draw (any integer). */
  readonly frame: number;
  /** Terminal width; the line is cut to it so it never wraps. */
  readonly columns?: number;
  /** What is counted. Default `events`. */
  readonly unit?: string;
}

const SPINNER = ['|', '/', '-', '\\'];
const BAR_WIDTH = 24;

export const formatCount = (n: number): string => Math.round(n).toLocaleString('en-US');

export const formatDuration = (ms: number): string => {
  const seconds = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  const mmss = `${String(m).padStart(h > 0 ? 2 : 1, '0')}:${String(s).padStart(2, '0')}`;
  return h > 0 ? `${h}:${mmss}` : mmss;
};

/** Events per second; 0 before any time has passed. */
export const rateOf = (count: number, elapsedMs: number): number =>
  elapsedMs > 0 ? (count * 1000) / elapsedMs : 0;

export const formatProgress = (snapshot: ProgressSnapshot): string => {
  const { label, count, elapsedMs, fraction, frame, columns } = snapshot;
  const rate = rateOf(count, elapsedMs);
  const counts = `${formatCount(count)} ${snapshot.unit ?? 'events'}  ${formatCount(rate)}/s`;
  let text: string;
  if (fraction === undefined) {
    text = `${label} ${SPINNER[Math.abs(frame) % SPINNER.length]} ${counts}  ${formatDuration(elapsedMs)}`;
  } else {
    const done = Math.min(1, Math.max(0, fraction));
    const filled = Math.round(done * BAR_WIDTH);
    const bar = `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}]`;
    const percent = `${String(Math.floor(done * 100)).padStart(3)}%`;
    const eta =
      done > 0 && done < 1 ? `  ETA ${formatDuration((elapsedMs * (1 - done)) / done)}` : '';
    text = `${label} ${bar} ${percent}  ${counts}${eta}`;
  }
  return columns !== undefined && columns > 1 ? text.slice(0, columns - 1) : text;
};

export interface Progress {
  /** One more event; `position` lets the bar move on the embedded store. */
  tick(position?: string): void;
  /** Erases the line. */
  done(): void;
}

export const NO_PROGRESS: Progress = { tick: () => undefined, done: () => undefined };

const REDRAW_EVERY_MS = 100;
/** The clock is looked at every this many events, not on each one. */
const CHECK_EVERY = 256;

export interface ProgressOptions {
  readonly label: string;
  /** The last position of the feed, when the store can tell it cheaply (sqlite). */
  readonly headPosition?: number;
  readonly now?: () => number;
  /** What is counted. Default `events`. */
  readonly unit?: string;
  /** Look at the clock every this many ticks. Default 256 (events are cheap; endpoints less). */
  readonly checkEvery?: number;
}

/** A progress line on `stream`, or nothing when there is no terminal to draw on. */
export const createProgress = (
  stream: ProgressStream | undefined,
  options: ProgressOptions,
): Progress => {
  if (!stream) return NO_PROGRESS;
  const now = options.now ?? Date.now;
  const started = now();
  const head = options.headPosition;
  let count = 0;
  let frame = 0;
  let lastDrawn = 0;
  // With a known end, the bar shows from the start (at 0) rather than a spinner first.
  let position: number | undefined = head === undefined ? undefined : 0;
  const draw = (): void => {
    const fraction =
      head !== undefined && head > 0 && position !== undefined ? position / head : undefined;
    stream.write(
      `\r${formatProgress({
        label: options.label,
        count,
        elapsedMs: now() - started,
        fraction,
        frame: frame++,
        columns: stream.columns,
        ...(options.unit === undefined ? {} : { unit: options.unit }),
      })}\x1b[K`,
    );
  };
  draw();
  return {
    tick: (at) => {
      count += 1;
      if (count % (options.checkEvery ?? CHECK_EVERY) !== 0) return;
      const t = now();
      if (t - lastDrawn < REDRAW_EVERY_MS) return;
      lastDrawn = t;
      if (at !== undefined && /^\d+$/.test(at)) position = Number(at);
      draw();
    },
    done: () => {
      stream.write('\r\x1b[K');
    },
  };
};
