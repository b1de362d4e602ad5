import { createHmac, hash, randomBytes } from 'node:crypto';

/** Invitation tokens (DESIGN invariant 4).
 * Each invitation stores a random seed; its token is HMAC-SHA256(server secret, seed), cut to
 * 144 bits and written URL-safe. The database keeps only the seed and SHA-256(token): a copy of
 * the database alone cannot produce working links, yet `links export` can re-derive them with
 * the secret. */
export const TOKEN_LENGTH = 24; // 18 bytes = 144 bits in base64url
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{24}$/;

export function deriveInvitationToken(secretKey: Buffer, tokenSeed: string): string {
  return createHmac('sha256', secretKey).update(tokenSeed).digest().subarray(0, 18).toString('base64url');
}

/** SHA-256(token), the 32 bytes stored in invitations.token_hash (migration 009) and searched
 * by every respondent request: the one-shot `hash` costs a third of createHash's chain. */
export function hashInvitationToken(invitationToken: string): Buffer {
  return hash('sha256', invitationToken, 'buffer');
}

export function isWellFormedToken(candidate: string): boolean {
  return TOKEN_PATTERN.test(candidate);
}

export function invitationLink(publicUrl: string, invitationToken: string): string {
  return `${publicUrl}/r/${invitationToken}`;
}

/** Seeds (128 random bits, URL-safe) and token hashes for new invitations: the hash is
 * hashInvitationToken(deriveInvitationToken(secret, seed)), computed about twice as fast for a
 * respondents import of many rows.
 * HMAC is written out from its definition (RFC 2104) over node's one-shot `hash`, with the key
 * pads computed once, and the seeds' random bytes are drawn in blocks. */
export function invitationTokenMinter(secretKey: Buffer): () => { tokenSeed: string; tokenHash: Buffer } {
  const block = Buffer.alloc(64);
  (secretKey.length > 64 ? hash('sha256', secretKey, 'buffer') : secretKey).copy(block);
  const innerPad = block.map((byte) => byte ^ 0x36);
  const outerPad = block.map((byte) => byte ^ 0x5c);
  const SEEDS_PER_BLOCK = 1024;
  let randomBlock = Buffer.alloc(0);
  let used = SEEDS_PER_BLOCK;
  return () => {
    if (used === SEEDS_PER_BLOCK) {
      randomBlock = randomBytes(16 * SEEDS_PER_BLOCK);
      used = 0;
    }
    const tokenSeed = randomBlock.toString('base64url', used * 16, ++used * 16);
    const inner = hash('sha256', Buffer.concat([innerPad, Buffer.from(tokenSeed)]), 'buffer');
    const invitationToken = hash('sha256', Buffer.concat([outerPad, inner]), 'buffer').toString('base64url', 0, 18);
    return { tokenSeed, tokenHash: hashInvitationToken(invitationToken) };
  };
}
