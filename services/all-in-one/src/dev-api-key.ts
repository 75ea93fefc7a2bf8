import type { Logger } from '@nestjs/common';
import { ALL_SCOPES, createApiKey, listApiKeys } from '@rotor/access';
import type { AuditSigner, EventStore } from '@rotor/event-store';

export const DEV_TENANT = 'dev';

/**
 * On the very first start there is no way to call the API, so the all-in-one mode makes
 * one all-scopes key for a `dev` tenant and prints it once, with a line to paste. The key
 * is stored only as a hash: later starts cannot print it again (create another with
 * `npm run cli -- api-keys create`).
 */
export const ensureDevApiKey = async (
  store: EventStore,
  port: number,
  logger: Logger,
  signer?: AuditSigner,
): Promise<void> => {
  if ((await listApiKeys(store)).length > 0) return;
  const { plaintextKey, record } = await createApiKey(
    store,
    {
      tenantId: DEV_TENANT,
      scopes: [...ALL_SCOPES],
      name: 'development key (all-in-one first start)',
      actor: 'service:all-in-one',
    },
    { signer },
  );
  logger.warn(
    `created development API key ${record.id} for tenant "${DEV_TENANT}"; it is shown only once`,
  );
  // Printed on stdout, not through the logger, so it never lands in collected logs.
  process.stdout.write(
    [
      '',
      '  Your development API key (shown once, store it now):',
      `    ${plaintextKey}`,
      '',
      '  Try it:',
      `    curl -s -X POST http://localhost:${port}/v1/webhooks/endpoints \\`,
      `      -H "Authorization: Bearer ${plaintextKey}" -H "Content-Type: application/json" \\`,
      `      -d '{"url":"https://example.com/webhooks"}'`,
      '',
    ].join('\n') + '\n',
  );
};
