// Preloaded into a CLI child process by the rewrap crash test: SIGKILLs the process right
// after its Nth data-key re-wrap is committed, as a power cut in the middle of a run would.
import { SqliteEventStore } from '@rotor/event-store';

const limit = Number(process.env.CRASH_AFTER_REWRAPS ?? '0');
let rewraps = 0;
const append = SqliteEventStore.prototype.append;
SqliteEventStore.prototype.append = async function (this: SqliteEventStore, ...args) {
  const result = await append.apply(this, args);
  if (args[1].some((e) => e.type === 'DataKeyRewrapped') && ++rewraps >= limit)
    process.kill(process.pid, 'SIGKILL');
  return result;
};
