import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/**
 * Runs the store's worker thread from TypeScript sources (jest, ts-node tools): its files
 * (relative imports only) are transpiled once into a cache keyed by their content, under
 * node_modules/.cache, where `better-sqlite3` still resolves. Loading ts-node in every
 * worker instead costs about half a second of CPU each. Not part of the build.
 */
let cached: string | undefined;

export function transpiledWorker(entry: string): string {
  if (cached && existsSync(cached)) return cached;
  // Typed as the one function used: typescript is a build tool, loaded only from sources.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- never loaded in the build
  const ts = require('typescript') as {
    transpileModule(source: string, options: { compilerOptions: object }): { outputText: string };
    ModuleKind: { CommonJS: number };
    ScriptTarget: { ES2022: number };
  };
  const root = resolve(__dirname, '..');
  const sources = new Map<string, string>();
  const visit = (file: string): void => {
    if (sources.has(file)) return;
    const text = readFileSync(file, 'utf8');
    sources.set(file, text);
    for (const [, specifier] of text.matchAll(/from '([^']+)'/g)) {
      if (specifier.startsWith('.')) visit(resolve(dirname(file), `${specifier}.ts`));
      else if (specifier.startsWith('@rotor/'))
        throw new Error(`the store worker imports ${specifier}: only relative imports transpile`);
    }
  };
  visit(entry);
  const digest = createHash('sha256');
  for (const [file, text] of sources) digest.update(file).update(text);
  const outDir = resolve(
    require.resolve('better-sqlite3'),
    '../../../.cache/rotor-store-worker',
    digest.digest('hex').slice(0, 16),
  );
  const out = (file: string) => join(outDir, relative(root, file)).replace(/\.ts$/, '.js');
  if (!existsSync(out(entry))) {
    for (const [file, text] of sources) {
      const { outputText } = ts.transpileModule(text, {
        compilerOptions: {
          module: ts.ModuleKind.CommonJS,
          target: ts.ScriptTarget.ES2022,
          esModuleInterop: true,
        },
      });
      mkdirSync(dirname(out(file)), { recursive: true });
      // Written aside, then renamed: parallel test workers never see half a file.
      const partial = `${out(file)}.${process.pid}.tmp`;
      writeFileSync(partial, outputText);
      renameSync(partial, out(file));
    }
  }
  cached = out(entry);
  return cached;
}
