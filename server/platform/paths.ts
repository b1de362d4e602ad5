import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: the nearest folder above this file holding package.json.
 * Works both from sources (server/platform) and from the build (dist/server/platform). */
function findRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('package.json not found above ' + import.meta.url);
    dir = parent;
  }
  return dir;
}

export const rootDir = findRoot();
export const viewsDir = path.join(rootDir, 'views');
export const publicDir = path.join(rootDir, 'public');
export const migrationsDir = path.join(rootDir, 'db', 'migrations');
export const seedsDir = path.join(rootDir, 'seeds');
