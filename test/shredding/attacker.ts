import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { dataKeyAad, open, secretAad, type KekRing } from '@rotor/crypto';

/**
 * What an attacker holding Rotor's files and the KEK ring (but not the deleted data key)
 * would do after a DELETE: read every byte, look for the endpoint's wrapped data key and
 * secrets in every encoding, and try to open every sealed secret with every data key the
 * bytes still hold.
 */
export const filesUnder = (...dirs: string[]): string[] =>
  dirs.flatMap((dir) =>
    readdirSync(dir).flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? filesUnder(path) : [path];
    }),
  );

/** Every way a value may sit in a file: its text, its bytes, their base64 and hex. */
export const encodingsOf = (text: string): Buffer[] => {
  const forms = [Buffer.from(text, 'utf8')];
  const body = text.replace(/^whsec_/, '');
  if (/^[A-Za-z0-9+/]+=*$/.test(body)) forms.push(Buffer.from(body, 'base64'));
  return forms.flatMap((bytes) => [
    bytes,
    Buffer.from(bytes.toString('base64')),
    Buffer.from(bytes.toString('hex')),
  ]);
};

/** Which of `needles` (name -> text) appear in which file. */
export const findAnywhere = (
  files: readonly string[],
  needles: Readonly<Record<string, string>>,
  extra: readonly { name: string; content: string }[] = [],
): string[] => {
  const found: string[] = [];
  const haystacks = [
    ...files.map((file) => ({ name: file, content: readFileSync(file) })),
    ...extra.map(({ name, content }) => ({ name, content: Buffer.from(content) })),
  ];
  for (const [what, text] of Object.entries(needles))
    for (const form of encodingsOf(text))
      for (const { name, content } of haystacks)
        if (content.includes(form)) found.push(`${what} in ${name}`);
  return [...new Set(found)];
};

/**
 * Tries every `"wrappedKey":"…"` the bytes hold as the endpoint's data key, and opens the
 * endpoint's sealed secrets with it: the list of what opened (empty when shredded).
 */
export const recoverSecrets = (
  files: readonly string[],
  ring: KekRing,
  endpointId: string,
  sealed: readonly { keyId: string; ciphertext: string }[],
): string[] => {
  const wrapped = new Set<string>();
  for (const file of files)
    for (const match of readFileSync(file)
      .toString('latin1')
      .matchAll(/wrappedKey\\?"\s*:\s*\\?"([A-Za-z0-9+/=]+)/g))
      wrapped.add(match[1]);
  const recovered: string[] = [];
  for (const candidate of wrapped)
    for (const kekId of ring.ids) {
      let dataKey: Buffer;
      try {
        dataKey = open(ring.get(kekId), candidate, dataKeyAad(endpointId));
      } catch {
        continue;
      }
      for (const { keyId, ciphertext } of sealed)
        try {
          recovered.push(open(dataKey, ciphertext, secretAad(endpointId, keyId)).toString('utf8'));
        } catch {
          // not this one
        }
    }
  return recovered;
};
