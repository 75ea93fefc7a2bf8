// Global teardown: a test that leaves a child process running (a nats-server, a service it
// spawned) would keep jest from exiting, and CI would wait for it until its time limit.
// Every file's afterAll has run by now, so the children still alive here (other than jest's
// own workers) are leaks: name them, end them, and fail the run so the leak gets fixed.
const { readdirSync, readFileSync } = require('node:fs');

function childrenOf(pid) {
  const children = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // "pid (comm) state ppid ...": comm may hold spaces, so read after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) !== pid || fields[0] === 'Z') continue;
      const command = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ').trim();
      // With more cores, jest's own workers are children too, and still alive here.
      if (!command.includes('jest-worker')) children.push({ pid: Number(entry), command });
    } catch {
      // the process ended while we looked
    }
  }
  return children;
}

module.exports = async function leakedProcessesTeardown() {
  if (process.platform !== 'linux') return;
  const leaked = childrenOf(process.pid);
  if (leaked.length === 0) return;
  for (const { pid, command } of leaked) {
    process.stderr.write(`leaked child process ${pid}: ${command}\n`);
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  throw new Error(`${leaked.length} child process(es) outlived the tests that started them`);
};
