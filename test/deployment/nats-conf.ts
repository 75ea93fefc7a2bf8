/**
 * Just enough of the nats-server configuration format to check deploy/nats/nats.conf:
 * `key: value`, `key = value` or `key value`; `{ maps }`, `[ lists ]` (commas or new lines
 * between items); quoted strings; bare words (true/false and integers are typed);
 * `$VARIABLE` references; `#` and `//` comments. `include` and anything else fails loudly:
 * widen the parser before using more of the format. nats-permissions.int-spec.ts runs the
 * real server on the same file, so what this parser reads is what the server reads.
 */
export class NatsVariable {
  constructor(readonly name: string) {}
}

export type NatsConfValue =
  string | number | boolean | NatsVariable | NatsConfValue[] | { [key: string]: NatsConfValue };
export type NatsConfMap = { [key: string]: NatsConfValue };

export function parseNatsConf(text: string): NatsConfMap {
  let at = 0;
  const fail = (message: string): never => {
    const line = text.slice(0, at).split('\n').length;
    throw new SyntaxError(`nats.conf line ${line}: ${message}`);
  };
  const skip = (newlines: boolean): void => {
    for (;;) {
      const rest = text.slice(at);
      const blank = (newlines ? /^[ \t\r\n]+/ : /^[ \t]+/).exec(rest);
      if (blank) at += blank[0].length;
      else if (rest.startsWith('#') || rest.startsWith('//')) {
        const end = text.indexOf('\n', at);
        at = end === -1 ? text.length : end;
      } else return;
    }
  };
  const key = (): string => {
    const quoted = /^"([^"]*)"|^'([^']*)'/.exec(text.slice(at));
    if (quoted) {
      at += quoted[0].length;
      return quoted[1] ?? quoted[2];
    }
    const bare = /^[A-Za-z_][\w.-]*/.exec(text.slice(at));
    if (!bare) return fail(`expected a key, found ${JSON.stringify(text.slice(at, at + 20))}`);
    at += bare[0].length;
    if (bare[0] === 'include') fail('`include` is not supported by this parser');
    return bare[0];
  };
  const value = (): NatsConfValue => {
    const rest = text.slice(at);
    if (rest.startsWith('{')) {
      at++;
      const map = entries('}');
      at++;
      return map;
    }
    if (rest.startsWith('[')) {
      at++;
      const list: NatsConfValue[] = [];
      for (;;) {
        skip(true);
        if (text[at] === ']') {
          at++;
          return list;
        }
        list.push(value());
        skip(false);
        if (text[at] === ',') at++;
        else if (text[at] !== '\n' && text[at] !== '\r' && text[at] !== ']')
          fail('expected `,`, a new line or `]` after a list item');
      }
    }
    const quoted = /^"([^"\\]*)"|^'([^'\\]*)'/.exec(rest);
    if (quoted) {
      at += quoted[0].length;
      return quoted[1] ?? quoted[2];
    }
    const variable = /^\$([A-Za-z_]\w*)/.exec(rest);
    if (variable) {
      at += variable[0].length;
      return new NatsVariable(variable[1]);
    }
    const bare = /^[^\s,\]}#;"'{[]+/.exec(rest);
    if (!bare) return fail('expected a value');
    at += bare[0].length;
    if (bare[0] === 'true') return true;
    if (bare[0] === 'false') return false;
    return /^-?\d+$/.test(bare[0]) ? Number(bare[0]) : bare[0];
  };
  const entries = (close: '}' | undefined): NatsConfMap => {
    const map: NatsConfMap = {};
    for (;;) {
      skip(true);
      if (at >= text.length) {
        if (close) fail(`missing \`${close}\``);
        return map;
      }
      if (text[at] === close) return map;
      const name = key();
      skip(false);
      if (text[at] === ':' || text[at] === '=') at++;
      skip(false);
      if (name in map) fail(`duplicate key ${name}`);
      map[name] = value();
      skip(false);
      if (text[at] === ',' || text[at] === ';') at++;
    }
  };
  return entries(undefined);
}

export interface SubjectRules {
  /** undefined: no allow list (everything not denied). */
  readonly allow?: readonly string[];
  readonly deny: readonly string[];
}

export interface NatsUser {
  readonly user: string;
  readonly password: NatsConfValue;
  readonly publish: SubjectRules;
  readonly subscribe: SubjectRules;
  readonly allowResponses: boolean;
}

const isMap = (value: NatsConfValue | undefined): value is NatsConfMap =>
  typeof value === 'object' &&
  value !== null &&
  !Array.isArray(value) &&
  !(value instanceof NatsVariable);

const subjects = (value: NatsConfValue | undefined, where: string): string[] => {
  const list = Array.isArray(value) ? value : [value];
  return list.map((item) => {
    if (typeof item !== 'string') throw new TypeError(`${where}: subjects must be strings`);
    return item;
  });
};

/** `publish` / `subscribe` as the server reads them: a subject, a list, or `{ allow, deny }`. */
const rules = (value: NatsConfValue | undefined, where: string): SubjectRules => {
  if (value === undefined) return { deny: [] };
  if (!isMap(value)) return { allow: subjects(value, where), deny: [] };
  return {
    allow: value.allow === undefined ? undefined : subjects(value.allow, `${where}.allow`),
    deny: value.deny === undefined ? [] : subjects(value.deny, `${where}.deny`),
  };
};

export function natsUsers(conf: NatsConfMap): NatsUser[] {
  const authorization = conf.authorization;
  if (!isMap(authorization) || !Array.isArray(authorization.users))
    throw new TypeError('nats.conf has no authorization { users = [...] }');
  return authorization.users.map((entry, index) => {
    if (!isMap(entry) || typeof entry.user !== 'string')
      throw new TypeError(`authorization.users[${index}] has no user`);
    const permissions = isMap(entry.permissions) ? entry.permissions : {};
    return {
      user: entry.user,
      password: entry.password,
      publish: rules(permissions.publish, `${entry.user}.publish`),
      subscribe: rules(permissions.subscribe, `${entry.user}.subscribe`),
      allowResponses: permissions.allow_responses === true || isMap(permissions.allow_responses),
    };
  });
}

/**
 * Whether `pattern` covers every subject `subject` can stand for: `*` is one token, `>`
 * one or more at the end. A subscription's own wildcards are covered only by wildcards as
 * wide (`_INBOX.>` covers `_INBOX.abc.*`; `a.b` does not cover `a.*`).
 */
export function covers(pattern: string, subject: string): boolean {
  const want = pattern.split('.');
  const have = subject.split('.');
  for (let i = 0; i < want.length; i++) {
    if (want[i] === '>') return have.length > i;
    if (i >= have.length) return false;
    if (have[i] === '>') return false;
    if (want[i] === '*') continue;
    if (want[i] !== have[i]) return false;
  }
  return want.length === have.length;
}

/**
 * The server's decision for one publish or subscribe of `user` (responses to requests it
 * received aside): deny wins; an allow list admits only what it covers; without one,
 * `allow_responses` denies every other publish.
 */
export function isAllowed(user: NatsUser, kind: 'publish' | 'subscribe', subject: string): boolean {
  const { allow, deny } = user[kind];
  if (deny.some((pattern) => covers(pattern, subject))) return false;
  if (allow === undefined) return !(kind === 'publish' && user.allowResponses);
  return allow.some((pattern) => covers(pattern, subject));
}
