#!/usr/bin/env node
'use strict';
/**
 * `npm run build`: the production build, run once; every production process then runs
 * `node dist/...` with no TypeScript toolchain at run time.
 *
 *   1. a clean dist/ (a file whose source was deleted must not live on there);
 *   2. `tsc -p tsconfig.build.json` (type checks; dist/ mirrors the source tree);
 *   3. the `@rotor/*` path aliases of tsconfig.json become relative requires in the emitted
 *      JavaScript, static and dynamic (`await import('@rotor/messaging')` compiles to a
 *      require too), so Node resolves them without tsconfig-paths;
 *   4. every entry point exists, and every package the emitted code requires is a runtime
 *      `dependency` of package.json: `npm ci --omit=dev` (the Docker image) has no other.
 *
 * Plain JavaScript on purpose: the build must not need ts-node to start.
 */
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const { builtinModules } = require('node:module');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const DIST = path.join(ROOT, 'dist');
const ENTRY_POINTS = [
  'all-in-one',
  'command',
  'projector',
  'expiry',
  'signer',
  'query',
  'gateway',
  'cli',
]
  .map((service) => `services/${service}/src/main.js`)
  .concat(['scripts/start-distributed.js']);

/** tsconfig.json's `paths` ("@rotor/x": ["libs/x/src"]) as alias -> folder under the root. */
function aliasesOf(tsconfig) {
  const paths = tsconfig.compilerOptions.paths || {};
  return Object.fromEntries(
    Object.entries(paths).map(([alias, targets]) => {
      if (alias.includes('*') || targets.length !== 1)
        throw new Error(`build: alias ${alias} is not a plain one-target alias`);
      return [alias, targets[0]];
    }),
  );
}

const REQUIRE = /\brequire\((['"])(@rotor\/[^'"]+)\1\)/g;

/**
 * The JavaScript of the file `file` (a path relative to the output root) with each
 * `require('@rotor/x')` pointing at the relative folder of its library; an alias that
 * tsconfig.json does not know is an error, not a require left to fail at run time.
 */
function rewriteAliases(code, file, aliases) {
  return code.replace(REQUIRE, (_match, quote, alias) => {
    const target = aliases[alias];
    if (target === undefined) throw new Error(`build: ${file} requires unknown alias ${alias}`);
    let relative = path.posix.relative(path.posix.dirname(file), target);
    if (!relative.startsWith('.')) relative = `./${relative}`;
    return `require(${quote}${relative}${quote})`;
  });
}

/** The npm packages `code` requires (bare names, `node:` and other builtins left out). */
function packagesRequiredBy(code) {
  const names = new Set();
  for (const [, , specifier] of code.matchAll(/\brequire\((['"])([^'"]+)\1\)/g)) {
    if (specifier.startsWith('.') || specifier.startsWith('/')) continue;
    if (specifier.startsWith('node:') || builtinModules.includes(specifier.split('/')[0])) continue;
    const parts = specifier.split('/');
    names.add(specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]);
  }
  return names;
}

function* javaScriptFiles(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* javaScriptFiles(full);
    else if (entry.name.endsWith('.js')) yield full;
  }
}

function build() {
  const started = Date.now();
  fs.rmSync(DIST, { recursive: true, force: true });
  execFileSync(
    process.execPath,
    [require.resolve('typescript/bin/tsc'), '-p', path.join(ROOT, 'tsconfig.build.json')],
    { stdio: 'inherit', cwd: ROOT },
  );
  const aliases = aliasesOf(JSON.parse(fs.readFileSync(path.join(ROOT, 'tsconfig.json'), 'utf8')));
  const { dependencies } = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const notDependencies = [];
  let rewritten = 0;
  for (const full of javaScriptFiles(DIST)) {
    const file = path.relative(DIST, full).split(path.sep).join('/');
    const code = fs.readFileSync(full, 'utf8');
    const next = rewriteAliases(code, file, aliases);
    if (next !== code) {
      fs.writeFileSync(full, next);
      rewritten += 1;
    }
    for (const name of packagesRequiredBy(next))
      if (!(name in dependencies)) notDependencies.push(`${name} (${file})`);
  }
  if (notDependencies.length > 0)
    throw new Error(
      `build: required at run time but not a dependency: ${notDependencies.join(', ')}`,
    );
  const missing = ENTRY_POINTS.filter((entry) => !fs.existsSync(path.join(DIST, entry)));
  if (missing.length > 0) throw new Error(`build: no ${missing.join(', ')} in dist/`);
  console.error(
    `build: dist/ in ${((Date.now() - started) / 1000).toFixed(1)} s, aliases resolved in ${rewritten} files`,
  );
}

module.exports = { aliasesOf, rewriteAliases, packagesRequiredBy };

if (require.main === module) {
  try {
    build();
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
}
