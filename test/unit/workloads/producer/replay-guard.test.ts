import { describe, expect, test } from '@jest/globals';
import { ReplayGuard } from '../../../../workloads/producer/auth.js';

const W = 300_000;

describe('ReplayGuard', () => {
  test('a token is accepted once, then refused', () => {
    const g = new ReplayGuard(W, 0);
    expect(g.firstUse('acme:n1', 10)).toBe(true);
    expect(g.firstUse('acme:n1', 20)).toBe(false);
    expect(g.firstUse('acme:n2', 20)).toBe(true);
    expect(g.firstUse('bharat:n1', 20)).toBe(true);
  });

  test('a nonce is remembered for at least twice the window (a token is fresh that long), wherever in a generation it fell', () => {
    for (const first of [0, 1, W / 8 - 1, W / 8, W / 3, W]) {
      const g = new ReplayGuard(W, 0);
      expect(g.firstUse('acme:n', first)).toBe(true);
      for (let t = first; t <= first + 2 * W; t += W / 16) expect(g.firstUse('acme:n', t)).toBe(false);
      expect(g.firstUse('acme:n', first + 2 * W)).toBe(false);
    }
  });

  test('old generations are dropped, after a long quiet time too', () => {
    const g = new ReplayGuard(W, 0);
    expect(g.firstUse('acme:n', 0)).toBe(true);
    // Long past any freshness window: the nonce is forgotten (a token that old is refused as expired anyway).
    expect(g.firstUse('acme:n', 3 * W)).toBe(true);
    expect(g.firstUse('acme:n', 3 * W + 1)).toBe(false);
    expect(g.firstUse('acme:m', 100 * W)).toBe(true);
    expect(g.firstUse('acme:n', 100 * W)).toBe(true);
  });
});
