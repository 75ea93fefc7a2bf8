/**
 * Preloaded (`node -r`) into a CLI child by keys.int-spec.ts to crash it for real in the
 * middle of a re-wrap: once `ROTOR_TEST_CRASH_AFTER_REWRAPS` data keys have been re-wrapped
 * and written, the process kills itself with SIGKILL: no cleanup, no summary, exactly as a
 * power cut after that append. Test-only: production code has no such hook.
 */
import { DataKeyVault } from '@rotor/crypto';

const limit = Number(process.env.ROTOR_TEST_CRASH_AFTER_REWRAPS);
let rewrapped = 0;
const rewrap = DataKeyVault.prototype.rewrap;

DataKeyVault.prototype.rewrap = async function (this: DataKeyVault, ...args) {
  const outcome = await rewrap.apply(this, args);
  if (outcome === 'rewrapped' && ++rewrapped >= limit) process.kill(process.pid, 'SIGKILL');
  return outcome;
};
