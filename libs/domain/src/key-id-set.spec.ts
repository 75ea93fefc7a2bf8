import { KeyIdSet } from './key-id-set';
import { fold } from './state';
import { ENDPOINT, T0, key, registered, rotated } from '../test/given-when-then';

describe('KeyIdSet', () => {
  it('given a set, when an id is added, then the new set has it and the old one does not', () => {
    const one = KeyIdSet.of('a');
    const two = one.add('b');
    expect([...one]).toEqual(['a']);
    expect([...two]).toEqual(['a', 'b']);
    expect(one.has('b')).toBe(false);
    expect(two.has('b')).toBe(true);
    expect(two.add('a')).toBe(two);
  });

  it('given an older version, when it branches, then neither branch sees the other', () => {
    const base = KeyIdSet.of('a', 'b');
    const left = base.add('c');
    const right = base.add('d');
    expect([...left]).toEqual(['a', 'b', 'c']);
    expect([...right]).toEqual(['a', 'b', 'd']);
    expect(left.has('d') || right.has('c')).toBe(false);
    expect(base.size).toBe(2);
    expect(right.add('c')).toEqual(KeyIdSet.of('a', 'b', 'd', 'c'));
  });

  it('compares equal to a set built independently with the same ids', () => {
    const grown = KeyIdSet.of('a');
    grown.add('b'); // the shared Map now holds b; `grown` still must not
    expect(grown).toEqual(KeyIdSet.of('a'));
    expect(grown).not.toEqual(KeyIdSet.of('b'));
  });

  it('folds 20,000 rotations, each key id counted once', () => {
    const n = 20_000;
    const events = [registered(key(0))];
    for (let i = 1; i <= n; i += 1)
      events.push(rotated(key(i), key(i - 1).keyId, new Date(T0.getTime() + 1000), 0));
    const state = fold(events);
    expect(state).toMatchObject({ status: 'active', endpointId: ENDPOINT });
    if (state.status !== 'active') throw new Error('not active');
    expect(state.keyIds.size).toBe(n + 1);
    expect(state.keyIds.has(key(n).keyId)).toBe(true);
    expect(state.keyIds.has(key(n + 1).keyId)).toBe(false);
  });
});
