import * as fs from 'node:fs';
import * as path from 'node:path';
import { GENERATED_FILE, REPO_ROOT, renderContracts } from './codegen';

/**
 * npm run proto:check (CI): fails when the committed generated contracts differ from what
 * proto/ generates today.
 */
export const staleness = (expected: string, actual: string | undefined): string | undefined => {
  if (actual === expected) return undefined;
  if (actual === undefined) return 'the generated file is missing';
  const want = expected.split('\n');
  const got = actual.split('\n');
  const line = want.findIndex((l, i) => l !== got[i]);
  const at = line === -1 ? want.length : line;
  const show = (text: string | undefined) =>
    text === undefined ? '<end of file>' : text === '' ? '<empty line>' : text;
  return `first difference at line ${at + 1}:\n  expected: ${show(want[at])}\n  found:    ${show(got[at])}`;
};

const main = (): void => {
  const target = path.relative(REPO_ROOT, GENERATED_FILE);
  const actual = fs.existsSync(GENERATED_FILE)
    ? fs.readFileSync(GENERATED_FILE, 'utf8')
    : undefined;
  const problem = staleness(renderContracts(), actual);
  if (problem) {
    console.error(`generated contracts are stale: run npm run proto:gen\n${target}: ${problem}`);
    process.exitCode = 1;
    return;
  }
  console.log(`${target} matches proto/`);
};

if (require.main === module) main();
