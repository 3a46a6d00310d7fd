import { describe, expect, test } from '@jest/globals';
import type { V1Secret } from '@kubernetes/client-node';
import { digestValues } from '../../../operator/controller/caches.js';

describe('Secrets and ConfigMaps are cached as digests', () => {
  const secret = (password: string): V1Secret => ({
    metadata: {
      name: 'pg',
      namespace: 'sync',
      annotations: { 'kubectl.kubernetes.io/last-applied-configuration': `{"stringData":{"password":"${password}"}}`, team: 'data' },
    },
    data: { username: Buffer.from('mobileforge').toString('base64'), password: Buffer.from(password).toString('base64') },
  });

  test('no value, encoded or plain, survives; other annotations do', () => {
    const s = secret('hunter2');
    digestValues(s);
    const text = JSON.stringify(s);
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain(Buffer.from('hunter2').toString('base64'));
    expect(Object.keys(s.data!)).toEqual(['username', 'password']);
    expect(s.data!.password).toMatch(/^sha256:[0-9a-f]{32}$/);
    expect(s.metadata!.annotations).toEqual({ team: 'data' });
  });

  test('the digest follows the value: same value, same digest; a rotation changes it', () => {
    const [a, b, c] = [secret('first'), secret('first'), secret('rotated')];
    for (const s of [a, b, c]) digestValues(s);
    expect(a.data!.password).toBe(b.data!.password);
    expect(c.data!.password).not.toBe(a.data!.password);
    expect(c.data!.username).toBe(a.data!.username);
  });

  test('ConfigMaps too, text and binary values', () => {
    const cm = { metadata: { name: 'flags' }, data: { flags: 'beta=on' }, binaryData: { blob: Buffer.from('raw').toString('base64') } };
    digestValues(cm);
    expect(cm.data.flags).toMatch(/^sha256:[0-9a-f]{32}$/);
    expect(cm.binaryData.blob).toMatch(/^sha256:[0-9a-f]{32}$/);
    expect(JSON.stringify(cm)).not.toContain('beta=on');
  });
});
