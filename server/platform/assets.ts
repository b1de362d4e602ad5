import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import express, { type RequestHandler } from 'express';

/** Static files are addressed with a fingerprint of their content (`/static/app.css?v=3f9a…`), so
 * that a phone keeps them for a year instead of an hour: a changed file gets a new address, and a
 * respondent on a slow connection downloads the stylesheet and script once per release. */
export interface Assets {
  /** the address to put in a page: fingerprinted when the file is known */
  url(name: string): string;
  /** serves the folder: a year and `immutable` for the current fingerprint, an hour otherwise */
  handler(): RequestHandler;
}

const YEAR_SECONDS = 365 * 24 * 3600;

/** Reads and fingerprints every file of `dir` once, at start. */
export function fingerprintAssets(dir: string): Assets {
  const versions = new Map<string, string>();
  for (const name of readdirSync(dir)) versions.set(name, createHash('sha256').update(readFileSync(path.join(dir, name))).digest('hex').slice(0, 12));
  return {
    url: (name) => {
      const version = versions.get(name);
      return version ? `/static/${name}?v=${version}` : `/static/${name}`;
    },
    handler: () =>
      express.static(dir, {
        index: false,
        maxAge: '1h',
        setHeaders: (response, filePath) => {
          // an old fingerprint (a page cached across a release) gets today's file, for an hour only
          const wanted = (response.req as express.Request).query.v;
          if (wanted !== undefined && wanted === versions.get(path.basename(filePath))) response.setHeader('Cache-Control', `public, max-age=${YEAR_SECONDS}, immutable`);
        },
      }),
  };
}
