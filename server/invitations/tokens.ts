import { createHash, createHmac, randomBytes } from 'node:crypto';

/** Invitation tokens (DESIGN invariant 4).
 * Each invitation stores a random seed; its token is HMAC-SHA256(server secret, seed), cut to
 * 144 bits and written URL-safe. The database keeps only the seed and SHA-256(token): a copy of
 * the database alone cannot produce working links, yet `links export` can re-derive them with
 * the secret. */
export const TOKEN_LENGTH = 24; // 18 bytes = 144 bits in base64url
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{24}$/;

export function newTokenSeed(): string {
  return randomBytes(16).toString('base64url');
}

export function deriveInvitationToken(secretKey: Buffer, tokenSeed: string): string {
  return createHmac('sha256', secretKey).update(tokenSeed).digest().subarray(0, 18).toString('base64url');
}

export function hashInvitationToken(invitationToken: string): string {
  return createHash('sha256').update(invitationToken).digest('hex');
}

export function isWellFormedToken(candidate: string): boolean {
  return TOKEN_PATTERN.test(candidate);
}

export function invitationLink(publicUrl: string, invitationToken: string): string {
  return `${publicUrl}/r/${invitationToken}`;
}
