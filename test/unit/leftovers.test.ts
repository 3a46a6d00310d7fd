import { describe, expect, test } from '@jest/globals';
import { stampedAt, stampedName, staleNames } from '../support/leftovers.js';

describe('leftovers of benchmark runs', () => {
  const now = Date.UTC(2026, 11, 7, 12, 0, 0);
  const hour = 3_600_000;

  test('a stamped name says when it was made; other names say nothing', () => {
    const name = stampedName('cal', now - hour);
    expect(stampedAt(name, 'cal')).toBe(now - hour);
    expect(stampedAt(`${name}-sms-production`, 'cal')).toBe(now - hour);
    expect(stampedAt(`${name}_sms_dev_uat`, 'cal')).toBe(now - hour);
    for (const other of ['calendar', 'cal', 'postgres', `x${name}`, 'cal-broker', 'cal12-sms']) expect(stampedAt(other, 'cal')).toBeUndefined();
  });

  test("only runs older than the age given are stale, never a running one's", () => {
    const old = stampedName('cal', now - 7 * hour);
    const running = stampedName('cal', now - 5 * 60_000);
    const names = [old, `${old}-events-production`, `${old}_sms_production`, running, `${running}-broker`, 'insights', 'sms_batched'];
    expect(staleNames(names, 'cal', now, 6 * hour)).toEqual([old, `${old}-events-production`, `${old}_sms_production`]);
  });
});
