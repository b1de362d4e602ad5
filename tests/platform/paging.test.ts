import { describe, expect, it } from 'vitest';
import { pageHref, pageOf, pageParameter } from '../../server/platform/paging.js';

describe('paging', () => {
  it('splits a list into pages and says which rows a page shows', () => {
    expect(pageOf(230, 1, 100)).toEqual({ page: 1, pages: 3, perPage: 100, total: 230, offset: 0, first: 1, last: 100 });
    expect(pageOf(230, 3, 100)).toEqual({ page: 3, pages: 3, perPage: 100, total: 230, offset: 200, first: 201, last: 230 });
    expect(pageOf(200, 2, 100)).toMatchObject({ pages: 2, first: 101, last: 200 });
  });

  it('an empty list is page 1 of 1; a page past the end shows the last one', () => {
    expect(pageOf(0, 4, 50)).toEqual({ page: 1, pages: 1, perPage: 50, total: 0, offset: 0, first: 0, last: 0 });
    expect(pageOf(120, 9, 50)).toMatchObject({ page: 3, offset: 100, first: 101, last: 120 });
    expect(pageOf(120, undefined, 50)).toMatchObject({ page: 1, offset: 0 });
  });

  it('reads ?page= leniently: anything but a whole page number means the first page', () => {
    expect(pageParameter.parse('7')).toBe(7);
    for (const typed of ['0', '-2', '1.5', 'abc', '', ['2', '3'], undefined]) expect(pageParameter.parse(typed)).toBeUndefined();
  });

  it('links keep the other query parameters, drop empty ones, and leave page 1 out', () => {
    expect(pageHref('/staff/x', { q: 'kota b', sort: 'name', kind: undefined, below: '', page: 4 }, 2)).toBe('/staff/x?q=kota+b&sort=name&page=2');
    expect(pageHref('/staff/x', { agency: 'PROV-A' }, 1)).toBe('/staff/x?agency=PROV-A');
    expect(pageHref('/staff/x', {}, 1)).toBe('/staff/x');
  });
});
