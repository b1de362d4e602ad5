import { z } from 'zod';

/** One page of a long list (non-responders of a large agency, flagged responses, agencies of a
 * national round): which rows to show and how to reach the others. Pure. */
export interface Paging {
  /** 1-based page shown, always within 1..pages */
  page: number;
  /** at least 1, so that an empty list is "page 1 of 1" */
  pages: number;
  perPage: number;
  total: number;
  /** rows to skip (SQL OFFSET) */
  offset: number;
  /** 1-based positions of the first and last rows shown; 0 and 0 when the list is empty */
  first: number;
  last: number;
}

/** `?page=` as typed in an address bar: anything that is not a whole page number means page 1. */
export const pageParameter = z.coerce.number().int().min(1).max(1_000_000).optional().catch(undefined);

export function pageOf(total: number, requestedPage: number | undefined, perPage: number): Paging {
  const pages = Math.max(1, Math.ceil(total / perPage));
  // past the end (the list shrank since the link was made, e.g. people answered): show the last page
  const page = Math.min(Math.max(1, requestedPage ?? 1), pages);
  const offset = (page - 1) * perPage;
  return { page, pages, perPage, total, offset, first: total === 0 ? 0 : offset + 1, last: Math.min(total, offset + perPage) };
}

/** The address of another page of the same list, keeping its other query parameters. */
export function pageHref(path: string, query: Record<string, string | number | undefined | null>, page: number): string {
  const parameters = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '' && name !== 'page') parameters.set(name, String(value));
  }
  if (page > 1) parameters.set('page', String(page));
  const search = parameters.toString();
  return search ? `${path}?${search}` : path;
}
