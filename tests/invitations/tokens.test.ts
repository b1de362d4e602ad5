import { describe, expect, it } from 'vitest';
import { deriveInvitationToken, hashInvitationToken, invitationTokenMinter, isWellFormedToken } from '../../server/invitations/tokens.js';

const secret = Buffer.from('a-server-secret-of-at-least-32-chars!');

describe('invitation tokens', () => {
  it('are derived deterministically from the seed under the secret, 144 bits URL-safe', () => {
    const seed = invitationTokenMinter(secret)().tokenSeed;
    const token = deriveInvitationToken(secret, seed);
    expect(token).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(Buffer.from(token, 'base64url')).toHaveLength(18);
    expect(deriveInvitationToken(secret, seed)).toBe(token);
    expect(deriveInvitationToken(Buffer.from('another-secret-of-at-least-32-characters'), seed)).not.toBe(token);
    expect(isWellFormedToken(token)).toBe(true);
  });

  it('seeds are random: a thousand of them never repeat, nor do their tokens', () => {
    const mint = invitationTokenMinter(secret);
    const seeds = Array.from({ length: 1000 }, () => mint().tokenSeed);
    expect(new Set(seeds).size).toBe(1000);
    expect(new Set(seeds.map((seed) => deriveInvitationToken(secret, seed))).size).toBe(1000);
  });

  it('only a SHA-256 hash is stored, and it is not the token', () => {
    const token = deriveInvitationToken(secret, 'seed');
    expect(hashInvitationToken(token)).toHaveLength(32);
    expect(hashInvitationToken(token).toString('latin1')).not.toContain(token);
    // SHA-256 itself (FIPS 180-2's "abc" vector), not merely 32 bytes
    expect(hashInvitationToken('abc').toString('hex')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('minted in bulk, seeds and hashes are exactly what the one-at-a-time functions give, for short and long keys', () => {
    for (const key of [secret, Buffer.alloc(100, 7)]) {
      const mint = invitationTokenMinter(key);
      const minted = Array.from({ length: 2100 }, mint); // crosses two blocks of random bytes
      expect(new Set(minted.map((entry) => entry.tokenSeed)).size).toBe(2100);
      for (const { tokenSeed, tokenHash } of minted) {
        expect(Buffer.from(tokenSeed, 'base64url')).toHaveLength(16);
        expect(tokenHash).toEqual(hashInvitationToken(deriveInvitationToken(key, tokenSeed)));
      }
    }
  });

  it('recognises malformed tokens', () => {
    for (const bad of ['', 'short', 'x'.repeat(25), 'abc/def+ghi=jkl.mno!pqr$', '../../../../etc/passwd!!']) expect(isWellFormedToken(bad)).toBe(false);
  });
});
