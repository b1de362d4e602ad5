import { readFileSync } from 'node:fs';
import { InputError } from './errors.js';

/** Reads a file named on the command line, or refuses it with a clear message. */
export function readInputFile(filePath: string): Buffer {
  try {
    return readFileSync(filePath);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(code === 'ENOENT' ? `File not found: ${filePath}` : code === 'EISDIR' ? `${filePath} is a folder, not a file` : `Cannot read ${filePath}: ${code ?? String(error)}`);
  }
}
