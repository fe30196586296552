import { describe, expect, it } from 'vitest';
import { InFlightList, type InFlightNode } from '../src/in-flight.js';

class Req implements InFlightNode<Req> {
  prevInFlight: Req | undefined = undefined;
  nextInFlight: Req | undefined = undefined;
  constructor(readonly n: number) {}
}

function order(list: InFlightList<Req>): number[] {
  const out: number[] = [];
  for (let r = list.first(); r !== undefined; r = r.nextInFlight) out.push(r.n);
  return out;
}

describe('requests in flight', () => {
  it('keep start order through removals at the head, the tail and the middle, as the Set did', () => {
    const list = new InFlightList<Req>();
    const reqs = Array.from({ length: 6 }, (_, i) => new Req(i));
    const set = new Set<Req>();
    for (const r of reqs) {
      list.add(r);
      set.add(r);
    }
    for (const i of [0, 5, 2, 3]) {
      list.delete(reqs[i] as Req);
      set.delete(reqs[i] as Req);
      expect(order(list)).toEqual([...set].map((r) => r.n));
      expect(list.size).toBe(set.size);
    }
    list.add(reqs[0] as Req);
    expect(order(list)).toEqual([1, 4, 0]);
  });

  it('ignore the removal of a request already removed, and clear the links of one that left', () => {
    const list = new InFlightList<Req>();
    const [a, b, c] = [new Req(1), new Req(2), new Req(3)];
    list.add(a);
    list.add(b);
    list.add(c);
    list.delete(b);
    list.delete(b);
    expect(order(list)).toEqual([1, 3]);
    expect(list.size).toBe(2);
    expect([b.prevInFlight, b.nextInFlight]).toEqual([undefined, undefined]);
    list.delete(a);
    list.delete(c);
    list.delete(a);
    expect(list.first()).toBeUndefined();
    expect(list.size).toBe(0);
    list.add(b);
    expect(order(list)).toEqual([2]);
  });
});
