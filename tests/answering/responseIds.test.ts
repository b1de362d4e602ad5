import { describe, expect, it } from 'vitest';
import { newResponseId } from '../../server/answering/service.js';

describe('response ids', () => {
  it('are 128-bit hex, all different across several blocks of random bytes, and in no order', () => {
    // 1,000 ids span four blocks of 4 KB: a block reused or cut wrongly would repeat or shorten ids
    const ids = Array.from({ length: 1000 }, () => newResponseId());
    expect(ids.every((id) => /^[0-9a-f]{32}$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    // about half of the neighbours ascend, as for random ids: a counter or a clock would show
    const ascending = ids.slice(1).filter((id, index) => id > ids[index]!).length;
    expect(ascending).toBeGreaterThan(400);
    expect(ascending).toBeLessThan(600);
  });
});
