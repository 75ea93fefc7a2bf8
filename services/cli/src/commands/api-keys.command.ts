import { Option, type Command } from 'commander';
import {
  ApiKeyError,
  apiKeyStreamName,
  applyApiKeyRecordEvent,
  createApiKey,
  listApiKeys,
  revokeApiKey,
  SCOPES,
} from '@rotor/access';
import {
  checkApiKeyId,
  checkTenant,
  formatApiKeyTable,
  parseScopes,
  toListedApiKey,
} from '../api-keys/api-key-table';
import { EXIT_OK, notFound, usageError } from '../cli-error';
import type { RunCommand } from '../context';

/**
 * API keys of the REST facade (DESIGN §5), event-sourced by @rotor/access. The plaintext
 * key is printed once, by `create`; the store only ever holds its hash.
 */
export function registerApiKeyCommands(apiKeys: Command, run: RunCommand): void {
  apiKeys
    .command('create')
    .description('create a key bound to a tenant with some scopes, and print it ONCE')
    .requiredOption('--tenant <tenant>', 'the tenant the key acts for')
    .requiredOption('--scopes <scopes>', `comma-separated, of: ${SCOPES.join(', ')}`)
    .option('--name <name>', 'what the key is for (shown in lists)', 'created with the cli')
    .option('--json', 'one JSON object: { id, tenant_id, scopes, name, created_at, key }')
    .addHelpText(
      'after',
      '\nThe key (rk_...) is shown once and cannot be shown again: only its hash is stored.',
    )
    .action((options: { tenant: string; scopes: string; name: string; json?: boolean }) =>
      run(async (context, output) => {
        const tenantId = checkTenant(options.tenant);
        const scopes = parseScopes(options.scopes);
        // The first key of a new installation may create the store.
        const store = context.openStore({ create: true });
        const { record, plaintextKey } = await createApiKey(
          store,
          { tenantId, scopes, name: options.name, actor: context.actor },
          { requestId: context.requestId, signer: context.auditSigner() },
        ).catch(toCliError);
        if (options.json) await output.json({ ...toListedApiKey(record), key: plaintextKey });
        else {
          output.note(
            `created API key ${record.id} for tenant ${record.tenantId} ` +
              `(scopes ${record.scopes.join(', ')}); shown once, store it now:`,
          );
          await output.line(plaintextKey);
        }
        return EXIT_OK;
      }),
    );

  apiKeys
    .command('list')
    .description('list every key: id, tenant, scopes, name, created, revoked (never a hash)')
    .option('--tenant <tenant>', "only this tenant's keys")
    .addOption(new Option('--json', 'a JSON array'))
    .action((options: { tenant?: string; json?: boolean }) =>
      run(async (context, output) => {
        const tenant = options.tenant === undefined ? undefined : checkTenant(options.tenant);
        const records = await listApiKeys(context.openStore());
        const keys = records
          .filter((record) => tenant === undefined || record.tenantId === tenant)
          .map(toListedApiKey);
        if (options.json) await output.json(keys);
        else for (const line of formatApiKeyTable(keys)) await output.line(line);
        return EXIT_OK;
      }),
    );

  apiKeys
    .command('revoke')
    .description('revoke a key for good: the gateway refuses it from then on')
    .argument('<id>', 'the key id (ak_ + 16 hex), as `list` shows it')
    .option('--json', 'one JSON object: the key as `list --json` shows it')
    .action((id: string, options: { json?: boolean }) =>
      run(async (context, output) => {
        checkApiKeyId(id);
        const store = context.openStore();
        const before = (await store.read(apiKeyStreamName(id))).reduce(
          applyApiKeyRecordEvent,
          undefined,
        );
        if (!before) throw notFound(`API key ${id} not found`);
        const record = await revokeApiKey(store, id, context.actor, {
          requestId: context.requestId,
          signer: context.auditSigner(),
        }).catch(toCliError);
        if (options.json) await output.json(toListedApiKey(record));
        else
          await output.line(
            before.revokedAt === undefined
              ? `revoked API key ${id} (tenant ${record.tenantId}) at ${record.revokedAt}`
              : `API key ${id} was already revoked at ${before.revokedAt}`,
          );
        return EXIT_OK;
      }),
    );
}

/** The store's refusals as exit codes: bad input 2, unknown key 1. */
const toCliError = (error: unknown): never => {
  if (error instanceof ApiKeyError)
    throw error.code === 'api_key_not_found' ? notFound(error.message) : usageError(error.message);
  throw error;
};
