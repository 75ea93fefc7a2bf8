import { extname, join } from 'node:path';

/**
 * Where the store's worker thread starts. From the build, `store-worker.js` beside this
 * file. From TypeScript sources (jest, ts-node tools), a worker thread does not inherit the
 * loader, and loading ts-node in every worker costs about half a second of CPU; so the
 * worker's few files are transpiled once (testing/transpile-store-worker.ts, a development
 * tool the build leaves out, as it needs TypeScript).
 */
export function storeWorkerEntry(): { readonly file: string; readonly execArgv: string[] } {
  if (extname(__filename) !== '.ts')
    return { file: join(__dirname, 'store-worker.js'), execArgv: [] };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- only from sources
    const { transpiledWorker } = require('../testing/transpile-store-worker') as {
      transpiledWorker(entry: string): string;
    };
    return { file: transpiledWorker(join(__dirname, 'store-worker.ts')), execArgv: [] };
  } catch {
    return {
      file: join(__dirname, 'store-worker.ts'),
      execArgv: ['-r', 'ts-node/register/transpile-only'],
    };
  }
}
