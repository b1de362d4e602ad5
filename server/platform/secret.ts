import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** The server secret that invitation tokens are derived from: SECRET_KEY, or a key generated
 * once into DATA_DIR/secret.key (mode 0600) so a demo works with no setup. */
export function loadSecretKey(configured: string | undefined, dataDir: string): Buffer {
  if (configured) return Buffer.from(configured, 'utf8');
  const keyPath = path.join(dataDir, 'secret.key');
  if (existsSync(keyPath)) {
    const stored = readFileSync(keyPath, 'utf8').trim();
    if (stored.length < 32) throw new Error(`${keyPath} holds a key shorter than 32 characters`);
    return Buffer.from(stored, 'utf8');
  }
  mkdirSync(dataDir, { recursive: true });
  const generated = randomBytes(32).toString('base64url');
  // 'wx' refuses to overwrite: if another process created the key meanwhile, use theirs.
  try {
    writeFileSync(keyPath, generated + '\n', { mode: 0o600, flag: 'wx' });
    chmodSync(keyPath, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return Buffer.from(readFileSync(keyPath, 'utf8').trim(), 'utf8');
  }
  return Buffer.from(generated, 'utf8');
}
