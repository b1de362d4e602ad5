import { describe, expect, it } from 'vitest';
import { securityHeaderList } from '../../server/platform/securityHeaders.js';

describe('security headers, decided by helmet once at start', () => {
  const asMap = (https: boolean) => new Map(securityHeaderList({ https }).map(([name, value]) => [name.toLowerCase(), value]));

  it('over plain HTTP: a strict CSP, no framing, no referrer, and no HSTS or upgrade', () => {
    const headers = asMap(false);
    expect(headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(headers.get('content-security-policy')).not.toContain('upgrade-insecure-requests');
    expect(headers.get('referrer-policy')).toBe('no-referrer');
    expect(headers.get('x-content-type-options')).toBe('nosniff');
    expect(headers.has('strict-transport-security')).toBe(false);
    expect(headers.has('x-powered-by')).toBe(false);
  });

  it('behind https: HSTS and upgrade-insecure-requests as well', () => {
    const headers = asMap(true);
    expect(headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
    expect(headers.get('content-security-policy')).toContain('upgrade-insecure-requests');
  });
});
