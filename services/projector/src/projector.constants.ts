import { ENDPOINT_STREAM_CATEGORY } from '@rotor/domain';
import { API_KEY_STREAM_PREFIX } from '@rotor/access';
import { DATA_KEY_STREAM_PREFIX } from '@rotor/crypto';

/** The projector reads endpoint, data-key and API-key streams, nothing else. */
export const PROJECTED_STREAM_PREFIXES = [
  `${ENDPOINT_STREAM_CATEGORY}-`,
  DATA_KEY_STREAM_PREFIX,
  API_KEY_STREAM_PREFIX,
];
/** Bucket holding the projector's own checkpoint (its position in the global feed). */
export const PROJECTOR_STATE_BUCKET = 'rotor_projector';
export const CHECKPOINT_KEY = 'checkpoint';
/** While catching up, the checkpoint is saved every this many events (replays are idempotent). */
export const CHECKPOINT_EVERY = 500;
