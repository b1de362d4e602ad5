import busboy from 'busboy';
import type { Request } from 'express';
import { InputError } from './errors.js';

/** One file (and the form's fields) from a multipart upload, read with busboy: the standard
 * streaming parser, with limits, so a huge or malformed upload is refused cleanly. */
export interface Upload {
  fields: Record<string, string>;
  fileName: string | null;
  content: Buffer | null;
}

export const MAX_UPLOAD_BYTES = 50 * 1024 * 1024;

export function readUpload(request: Request, maxBytes = MAX_UPLOAD_BYTES): Promise<Upload> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: request.headers, limits: { files: 1, fileSize: maxBytes, fields: 20, fieldSize: 10_000 } });
    } catch {
      reject(new InputError('Send the file as a form upload (multipart/form-data).'));
      return;
    }
    const upload: Upload = { fields: {}, fileName: null, content: null };
    let tooLarge = false;
    parser.on('field', (name, value) => {
      upload.fields[name] = value;
    });
    parser.on('file', (_name, stream, info) => {
      const chunks: Buffer[] = [];
      upload.fileName = info.filename || null;
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('limit', () => {
        tooLarge = true;
      });
      stream.on('end', () => {
        upload.content = Buffer.concat(chunks);
      });
    });
    parser.on('error', () => reject(new InputError('The upload could not be read.')));
    parser.on('close', () => {
      if (tooLarge) reject(new InputError(`The file is larger than ${Math.round(maxBytes / 1024 / 1024)} MB.`));
      else resolve(upload);
    });
    request.pipe(parser);
  });
}

/** The uploaded file's bytes, or a clear refusal when none was chosen. */
export function requireFile(upload: Upload): Buffer {
  if (!upload.content || upload.content.length === 0) throw new InputError('Choose a file to upload.');
  return upload.content;
}
