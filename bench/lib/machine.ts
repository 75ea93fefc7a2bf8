import { cpus, loadavg, release, totalmem } from 'node:os';

/** Where the figures were measured: they mean little without it. */
export const machine = () => ({
  cores: cpus().length,
  cpu: cpus()[0]?.model ?? 'unknown',
  cpuMHz: cpus()[0]?.speed,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  v8: process.versions.v8,
  platform: `${process.platform}-${process.arch} ${release()}`,
  loadAverageAtStart: loadavg().map((l) => Number(l.toFixed(2))),
});
