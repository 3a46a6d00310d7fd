import { expect, test } from '@jest/globals';
import { medianRound } from '../../../../operator/model/sizing/rounds.js';

const rounds = (...rates: number[]) => rates.map((rate, i) => ({ rate, round: i + 1 }));

test('three rounds: the median round whole, with the lowest and highest rate', () => {
  expect(medianRound(rounds(194, 175, 169), (r) => r.rate)).toEqual({ median: { rate: 175, round: 2 }, spread: { rounds: 3, min: 169, max: 194 } });
});

test('an even count takes the lower middle round (the figure errs low)', () => {
  expect(medianRound(rounds(10, 40, 20, 30), (r) => r.rate).median.rate).toBe(20);
});

test('one round has no spread; none is an error', () => {
  expect(medianRound(rounds(7), (r) => r.rate)).toEqual({ median: { rate: 7, round: 1 }, spread: undefined });
  expect(() => medianRound([], (r: number) => r)).toThrow(RangeError);
});
