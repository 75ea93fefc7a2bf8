import * as fs from 'node:fs';
import * as path from 'node:path';
import { GENERATED_FILE, REPO_ROOT, renderContracts } from './codegen';

/** npm run proto:gen: proto/ -> libs/contracts/src/generated/rotor.v1.ts. */
const main = (): void => {
  const source = renderContracts();
  fs.mkdirSync(path.dirname(GENERATED_FILE), { recursive: true });
  const current = fs.existsSync(GENERATED_FILE) ? fs.readFileSync(GENERATED_FILE, 'utf8') : '';
  const target = path.relative(REPO_ROOT, GENERATED_FILE);
  if (current === source) {
    console.log(`${target} is up to date`);
    return;
  }
  fs.writeFileSync(GENERATED_FILE, source);
  console.log(`wrote ${target}`);
};

main();
