import type { ResultsDocument } from './service.js';

/** The public ranking of a round: agencies with an index by index (ties share a rank: 1, 2, 2, 4),
 * then those without one by name; with each agency's change against an earlier round where both
 * have an index. Pure. */

export interface RankedAgency {
  rank: number | null;
  code: string;
  name: string;
  kind: string;
  index: number | null;
  category: string | null;
  /** index minus the earlier round's, when both exist */
  change: number | null;
}

export function publicRanking(
  document: Pick<ResultsDocument, 'agencies'>,
  kindOf: ReadonlyMap<string, string>,
  earlier?: ReadonlyMap<string, number | null>,
): RankedAgency[] {
  const withIndex = document.agencies.filter((agency) => agency.index !== null).sort((a, b) => b.index! - a.index! || a.name.localeCompare(b.name));
  const without = document.agencies.filter((agency) => agency.index === null).sort((a, b) => a.name.localeCompare(b.name));
  const rows: RankedAgency[] = [];
  withIndex.forEach((agency, position) => {
    const previous = rows[position - 1];
    const rank = previous && previous.index === agency.index ? previous.rank : position + 1;
    const before = earlier?.get(agency.code);
    rows.push({ rank, code: agency.code, name: agency.name, kind: kindOf.get(agency.code) ?? '', index: agency.index, category: agency.category, change: before === undefined || before === null ? null : agency.index! - before });
  });
  for (const agency of without) rows.push({ rank: null, code: agency.code, name: agency.name, kind: kindOf.get(agency.code) ?? '', index: null, category: null, change: null });
  return rows;
}
