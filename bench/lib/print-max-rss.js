// Preloaded (`node -r`) into a child whose peak memory a benchmark reports: prints the
// process's peak RSS (ru_maxrss, KiB) on stderr as it exits, whatever it ran.
process.once('exit', () => {
  process.stderr.write(`bench: max_rss_kib=${process.resourceUsage().maxRSS}\n`);
});
