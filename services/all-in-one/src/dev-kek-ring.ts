import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LoggerService } from '@nestjs/common';
import Database from 'better-sqlite3';
import type { RotorConfig } from '@rotor/config';
import { redactUrl } from '@rotor/config';
import {
  generateKekRingText,
  loadKekRing,
  parseKekRing,
  withGeneratedAuditKey,
  type KekRing,
} from '@rotor/crypto';

export const DEV_KEK_RING_FILE = 'kek-ring.dev.json';

/**
 * The all-in-one mode must start on a fresh machine with nothing configured, so when no KEK
 * ring is given it makes one in the data dir (mode 0600) and says loudly that it is for
 * development only: anyone who can read that file can decrypt every secret. The ring holds
 * the audit signing key too (README: Audit); a development ring made before signed audit
 * gets one added, and the history written before stays readable as unsigned legacy (set
 * ROTOR_AUDIT_LEGACY_UNTIL to the position `audit verify` reports to accept it).
 */
export const devKekRing = (config: RotorConfig, logger: Pick<LoggerService, 'warn'>): KekRing => {
  const configured = loadKekRing({
    ROTOR_KEK_RING: config.kekRing.text,
    ROTOR_KEK_RING_FILE: config.kekRing.file,
  });
  if (configured) return configured;
  const file = join(config.dataDir, DEV_KEK_RING_FILE);
  if (!existsSync(file)) {
    mkdirSync(config.dataDir, { recursive: true });
    writeFileSync(file, generateKekRingText(), { mode: 0o600 });
    logger.warn(`generated a development KEK ring at ${file}`);
  } else if (!(JSON.parse(readFileSync(file, 'utf8')) as { audit?: unknown }).audit) {
    const legacyUntil = storeHead(config.sqlitePath);
    writeFileSync(file, withGeneratedAuditKey(readFileSync(file, 'utf8'), legacyUntil), {
      mode: 0o600,
    });
    logger.warn(`added a development audit key to ${file}`);
  }
  logger.warn(
    `using the development KEK ring ${file}: for development only. In production set ` +
      'ROTOR_KEK_RING_FILE (see README: Secrets at rest).',
  );
  return parseKekRing(readFileSync(file, 'utf8'));
};

/**
 * `devKekRing`, or one message and exit 2 when the configured ring (or the development file)
 * is malformed or unreadable: the same answer as a distributed service gives a bad ring.
 */
export const devKekRingOrExit = (
  config: RotorConfig,
  logger: Pick<LoggerService, 'warn'>,
): KekRing => {
  try {
    return devKekRing(config, logger);
  } catch (error) {
    console.error(`invalid configuration:\n  - KEK ring: ${redactUrl((error as Error).message)}`);
    process.exit(2);
  }
};

/** The embedded store's last position, read-only; undefined for a missing or empty file. */
const storeHead = (sqlitePath: string): string | undefined => {
  if (!existsSync(sqlitePath)) return undefined;
  const db = new Database(sqlitePath, { readonly: true, fileMustExist: true });
  try {
    const row = db.prepare('SELECT MAX(global_position) AS head FROM events').get() as
      { head: number | null } | undefined;
    return row?.head == null ? undefined : String(row.head);
  } catch {
    return undefined; // no events table yet
  } finally {
    db.close();
  }
};
