import { describe, expect, test } from '@jest/globals';
import { canonicalQuantity, InvalidQuantityError } from '../../../operator/model/quantity.js';

describe('canonical quantities (as the API server stores them)', () => {
  test.each([
    ['3000m', '3'],
    ['1500m', '1500m'],
    ['0.5', '500m'],
    ['1.5', '1500m'],
    [2, '2'],
    ['250m', '250m'],
    ['6144Mi', '6Gi'],
    ['1536Mi', '1536Mi'],
    ['1024Ki', '1Mi'],
    ['7168Mi', '7Gi'],
    ['1Gi', '1Gi'],
    ['0.5Gi', '512Mi'],
    ['1000k', '1M'],
    ['1500k', '1500k'],
    ['0', '0'],
    ['2000', '2k'],
    ['1.5Gi', '1536Mi'],
  ])('%s -> %s', (input, canonical) => {
    expect(canonicalQuantity(input)).toBe(canonical);
  });

  test('rejects what is not a quantity', () => {
    expect(() => canonicalQuantity('two cores')).toThrow(InvalidQuantityError);
    expect(() => canonicalQuantity('-1')).toThrow(/not a resource quantity/);
  });
});
