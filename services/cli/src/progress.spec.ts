import { createProgress, formatDuration, formatProgress, NO_PROGRESS } from './progress';

describe('progress', () => {
  it('draws a bar with percent, rate and ETA when the end of the feed is known', () => {
    expect(
      formatProgress({
        label: 'verify',
        count: 50_000,
        elapsedMs: 2_000,
        fraction: 0.25,
        frame: 0,
      }),
    ).toBe('verify [######------------------]  25%  50,000 events  25,000/s  ETA 0:06');
  });

  it('given a unit, when drawn, then it counts that unit', () => {
    expect(
      formatProgress({
        label: 'import',
        count: 2_000,
        elapsedMs: 2_000,
        fraction: 0.5,
        frame: 0,
        unit: 'endpoints',
      }),
    ).toBe('import [############------------]  50%  2,000 endpoints  1,000/s  ETA 0:02');
  });

  it('spins with the rate and elapsed time when it is not', () => {
    expect(formatProgress({ label: 'replay', count: 1_234, elapsedMs: 61_000, frame: 1 })).toBe(
      'replay / 1,234 events  20/s  1:01',
    );
  });

  it('never wraps on a narrow terminal', () => {
    const line = formatProgress({
      label: 'x',
      count: 1,
      elapsedMs: 1,
      fraction: 0.5,
      frame: 0,
      columns: 20,
    });
    expect(line).toHaveLength(19);
  });

  it('formats hours', () => {
    expect(formatDuration(3_723_000)).toBe('1:02:03');
  });

  it('draws nothing without a terminal, and redraws at most every 100 ms on one', () => {
    expect(createProgress(undefined, { label: 'x' })).toBe(NO_PROGRESS);
    const written: string[] = [];
    let now = 0;
    const progress = createProgress(
      { write: (text: string) => written.push(text), columns: 80 },
      {
        label: 'verify',
        headPosition: 1000,
        now: () => now,
      },
    );
    for (let n = 1; n <= 1000; n += 1) {
      if (n === 600) now = 150;
      progress.tick(String(n));
    }
    progress.done();
    expect(written).toEqual([
      expect.stringMatching(/^\rverify \[-+\] {3}0%/),
      expect.stringMatching(/^\rverify \[#+-+\] {2}76% {2}768 events/),
      '\r\x1b[K',
    ]);
  });
});
