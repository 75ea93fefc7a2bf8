/**
 * Reading a V8 `.cpuprofile` (what `cpu-profile-on-signal.js` writes): where the event loop's
 * time went, by function and by where the code lives, and the longest stretches it was busy
 * without a break (what a request arriving then had to wait for). Pure functions over the
 * parsed JSON.
 */

export interface CpuProfileNode {
  readonly id: number;
  readonly callFrame: {
    readonly functionName: string;
    readonly url: string;
    readonly lineNumber: number;
  };
  readonly children?: readonly number[];
}

export interface CpuProfile {
  readonly nodes: readonly CpuProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  /** Microseconds since the previous sample. */
  readonly timeDeltas: readonly number[];
}

/** V8's pseudo-frames for "the thread was waiting" rather than running JavaScript. */
const IDLE = new Set(['(idle)', '(program)']);

export const frameName = (node: CpuProfileNode): string => {
  const { functionName, url, lineNumber } = node.callFrame;
  const file = url.replace(/^file:\/\//, '').replace(/^.*\/(node_modules|libs|services)\//, '$1/');
  return `${functionName || '(anonymous)'} ${file ? `${file}:${lineNumber + 1}` : ''}`.trim();
};

/**
 * Where a frame's code lives, coarsely: a package, a Rotor lib or service, Node's own
 * JavaScript, or one of V8's pseudo-frames (GC, idle, native).
 */
export const areaOf = (node: CpuProfileNode): string => {
  const url = node.callFrame.url;
  if (!url) return node.callFrame.functionName || '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  const own = /\/(libs|services|bench)\/([^/]+)\//.exec(url);
  if (own) return `${own[1]}/${own[2]}`;
  if (url.startsWith('node:')) return url.split('/')[0];
  return url;
};

interface Indexed {
  readonly byId: Map<number, CpuProfileNode>;
  readonly parent: Map<number, number>;
  /** ms each sample stands for: the gap to the next one. */
  readonly durations: number[];
}

const index = (profile: CpuProfile): Indexed => {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parent.set(child, node.id);
  const durations = profile.samples.map((_, i) =>
    i + 1 < profile.timeDeltas.length ? profile.timeDeltas[i + 1] / 1000 : 0,
  );
  return { byId, parent, durations };
};

const isIdle = (node: CpuProfileNode | undefined): boolean =>
  node !== undefined && IDLE.has(node.callFrame.functionName);

/** The frames of a sample, innermost first. */
const stackOf = (indexed: Indexed, id: number): CpuProfileNode[] => {
  const stack: CpuProfileNode[] = [];
  for (let at: number | undefined = id; at !== undefined; at = indexed.parent.get(at)) {
    const node = indexed.byId.get(at);
    if (node && node.callFrame.functionName !== '(root)') stack.push(node);
  }
  return stack;
};

export interface Share {
  readonly name: string;
  readonly ms: number;
  /** Of the busy (non-idle) time. */
  readonly percent: number;
}

const ranked = (totals: Map<string, number>, busyMs: number, top: number): Share[] =>
  [...totals]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, ms]) => ({
      name,
      ms: Number(ms.toFixed(1)),
      percent: Number(((100 * ms) / busyMs).toFixed(1)),
    }));

export interface BusySpan {
  readonly startMs: number;
  readonly ms: number;
  /** The functions that ran longest inside the span (inclusive). */
  readonly top: Share[];
}

export interface ProfileSummary {
  readonly wallMs: number;
  readonly busyMs: number;
  /** Self time by function. */
  readonly selfByFunction: Share[];
  /** Time with the function on the stack. */
  readonly inclusiveByFunction: Share[];
  /** Self time by where the code lives. */
  readonly selfByArea: Share[];
  /** Time with code of the area on the stack (a package, a Rotor lib or service). */
  readonly inclusiveByArea: Share[];
  readonly longestBusySpans: BusySpan[];
}

/**
 * Attributes every sample's time: self to its innermost frame, inclusive once to each
 * distinct function and area on its stack. A busy span is a run of samples with no idle one
 * between them: the event loop could not pick up anything else for that long.
 */
export const summarizeProfile = (
  profile: CpuProfile,
  options: { top?: number; spans?: number } = {},
): ProfileSummary => {
  const top = options.top ?? 25;
  const indexed = index(profile);
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const selfArea = new Map<string, number>();
  const inclusiveArea = new Map<string, number>();
  const add = (map: Map<string, number>, key: string, ms: number) =>
    map.set(key, (map.get(key) ?? 0) + ms);
  const spans: { startMs: number; ms: number; samples: number[] }[] = [];
  let open: { startMs: number; ms: number; samples: number[] } | undefined;
  let busyMs = 0;
  let clockMs = 0;
  profile.samples.forEach((id, i) => {
    const ms = indexed.durations[i];
    const leaf = indexed.byId.get(id);
    clockMs += ms;
    if (isIdle(leaf)) {
      if (open) spans.push(open);
      open = undefined;
      return;
    }
    busyMs += ms;
    open ??= { startMs: clockMs - ms, ms: 0, samples: [] };
    open.ms += ms;
    open.samples.push(i);
    const stack = stackOf(indexed, id);
    if (stack.length === 0) return;
    add(self, frameName(stack[0]), ms);
    add(selfArea, areaOf(stack[0]), ms);
    for (const name of new Set(stack.map(frameName))) add(inclusive, name, ms);
    for (const area of new Set(stack.map(areaOf))) add(inclusiveArea, area, ms);
  });
  if (open) spans.push(open);
  const longest = spans.sort((a, b) => b.ms - a.ms).slice(0, options.spans ?? 5);
  return {
    wallMs: Number(clockMs.toFixed(1)),
    busyMs: Number(busyMs.toFixed(1)),
    selfByFunction: ranked(self, busyMs, top),
    inclusiveByFunction: ranked(inclusive, busyMs, top),
    selfByArea: ranked(selfArea, busyMs, top),
    inclusiveByArea: ranked(inclusiveArea, busyMs, top),
    longestBusySpans: longest.map((span) => {
      const within = new Map<string, number>();
      for (const i of span.samples)
        for (const name of new Set(stackOf(indexed, profile.samples[i]).map(frameName)))
          add(within, name, indexed.durations[i]);
      return {
        startMs: Number(span.startMs.toFixed(1)),
        ms: Number(span.ms.toFixed(1)),
        top: ranked(within, span.ms, 12),
      };
    }),
  };
};

/** Inclusive time of the functions whose name matches, summed per function. */
export const timeIn = (profile: CpuProfile, pattern: RegExp): Share[] => {
  const summary = summarizeProfile(profile, { top: Number.MAX_SAFE_INTEGER, spans: 0 });
  return summary.inclusiveByFunction.filter((share) => pattern.test(share.name));
};
