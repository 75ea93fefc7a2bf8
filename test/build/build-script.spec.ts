import { join } from 'node:path';

/** scripts/build.js is plain JavaScript (the build must not need ts-node): required as is. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const build = require(join(__dirname, '..', '..', 'scripts', 'build.js')) as {
  aliasesOf(tsconfig: unknown): Record<string, string>;
  rewriteAliases(code: string, file: string, aliases: Record<string, string>): string;
  packagesRequiredBy(code: string): Set<string>;
};

const ALIASES = { '@rotor/messaging': 'libs/messaging/src', '@rotor/domain': 'libs/domain/src' };

describe('scripts/build.js', () => {
  it('reads the aliases of tsconfig.json, and refuses a wildcard one', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const aliases = build.aliasesOf(require('../../tsconfig.json'));
    expect(aliases['@rotor/domain']).toBe('libs/domain/src');
    expect(() =>
      build.aliasesOf({ compilerOptions: { paths: { '@rotor/*': ['libs/*/src'] } } }),
    ).toThrow(/not a plain one-target alias/);
  });

  it('turns static and dynamic alias requires into relative ones, quotes kept', () => {
    const code = [
      'const messaging_1 = require("@rotor/messaging");',
      "const m = await Promise.resolve().then(() => __importStar(require('@rotor/messaging')));",
      'const d = require("@rotor/domain");',
      '// the edge (`@rotor/crypto`) in a comment stays as it is',
    ].join('\n');
    expect(build.rewriteAliases(code, 'services/cli/src/commands/x.js', ALIASES)).toBe(
      [
        'const messaging_1 = require("../../../../libs/messaging/src");',
        "const m = await Promise.resolve().then(() => __importStar(require('../../../../libs/messaging/src')));",
        'const d = require("../../../../libs/domain/src");',
        '// the edge (`@rotor/crypto`) in a comment stays as it is',
      ].join('\n'),
    );
  });

  it('makes a require inside the library folder itself relative with ./', () => {
    expect(build.rewriteAliases('require("@rotor/domain")', 'libs/a.js', ALIASES)).toBe(
      'require("./domain/src")',
    );
  });

  it('refuses an alias tsconfig.json does not know rather than leaving it to fail at run time', () => {
    expect(() => build.rewriteAliases('require("@rotor/nope")', 'libs/a.js', ALIASES)).toThrow(
      /libs\/a\.js requires unknown alias @rotor\/nope/,
    );
  });

  it('lists the npm packages code requires, without builtins or relative files', () => {
    const code = [
      'require("@nestjs/common")',
      "require('express')",
      'require("rxjs/operators")',
      'require("@nestjs/microservices/constants")',
      'require("node:fs")',
      'require("crypto")',
      'require("./local")',
      'require("../../libs/x")',
    ].join(';');
    expect([...build.packagesRequiredBy(code)].sort()).toEqual([
      '@nestjs/common',
      '@nestjs/microservices',
      'express',
      'rxjs',
    ]);
  });
});
