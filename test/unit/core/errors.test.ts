import { describe, expect, test } from '@jest/globals';
import { apiErrorMessage, errorMessage } from '../../../core/errors.js';

describe('error messages', () => {
  test('anything thrown becomes text', () => {
    expect(errorMessage(new Error('boom'))).toBe('boom');
    expect(errorMessage('plain')).toBe('plain');
    expect(errorMessage(undefined)).toBe('undefined');
  });

  test("a failed API call reads as the API server's Status message, whether the body came as text or parsed", () => {
    const status = { kind: 'Status', message: 'deployments.apps "x" is forbidden: no', code: 403 };
    expect(apiErrorMessage(Object.assign(new Error('HTTP-Code: 403'), { body: JSON.stringify(status) }))).toBe(status.message);
    expect(apiErrorMessage(Object.assign(new Error('HTTP-Code: 403'), { body: status }))).toBe(status.message);
    // a body that is not a Status: as it came; no body: the error's own message
    expect(apiErrorMessage(Object.assign(new Error('HTTP-Code: 502'), { body: 'Bad Gateway' }))).toBe('Bad Gateway');
    expect(apiErrorMessage(new Error('connect ECONNREFUSED'))).toBe('connect ECONNREFUSED');
  });
});
