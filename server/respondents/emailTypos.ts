/** Likely typing mistakes in the domain of an email address (gmial.com, yahoo.co.di, gmail.con),
 * the most common reason an invitation bounces when contacts were written down at a service
 * counter. Only a suggestion: the address is stored as given, since an unusual domain may be right.
 * Pure; the domains are the providers most Indonesian respondents use. */

/** What a mistyped domain is compared with. */
const PROVIDER_DOMAINS = ['gmail.com', 'googlemail.com', 'yahoo.com', 'yahoo.co.id', 'ymail.com', 'rocketmail.com', 'hotmail.com', 'outlook.com', 'outlook.co.id', 'icloud.com', 'protonmail.com'];
/** Real domains one typing mistake away from a provider's (mail.com, email.com from gmail.com): never flagged. */
const ALSO_REAL = ['mail.com', 'email.com', 'gmx.com', 'me.com', 'mac.com', 'msn.com', 'live.com', 'aol.com', 'proton.me', 'zoho.com', 'yandex.com', 'yahoo.co.uk', 'hotmail.co.uk'];
const KNOWN = new Set([...PROVIDER_DOMAINS, ...ALSO_REAL]);
/** Mistakes too far from the domain for the distance rule, seen in Indonesian registers. */
const COMMON_MISTAKES = new Map([
  ['gmail.co.id', 'gmail.com'],
  ['gmail.id', 'gmail.com'],
  ['yahoo.id', 'yahoo.co.id'],
  ['yahoo.com.id', 'yahoo.co.id'],
  ['hotmail.co.id', 'hotmail.com'],
]);

/** Optimal string alignment distance: insertions, deletions, substitutions and swaps of two
 * neighbouring characters (the usual typing mistakes) each count 1. */
export function typingDistance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = best;
    }
  }
  return rows[a.length]![b.length]!;
}

/** The provider domain a domain was probably meant to be, or null. One mistake is enough for any
 * provider; two only for those whose name is long enough (hotmail, outlook) that two mistakes
 * still leave it unmistakable. */
function likelyDomain(domain: string): string | null {
  if (KNOWN.has(domain)) return null;
  const known = COMMON_MISTAKES.get(domain);
  if (known) return known;
  let best: { domain: string; distance: number } | null = null;
  for (const candidate of PROVIDER_DOMAINS) {
    const allowed = candidate.split('.')[0]!.length >= 6 ? 2 : 1;
    const distance = typingDistance(domain, candidate);
    if (distance <= allowed && (!best || distance < best.distance)) best = { domain: candidate, distance };
  }
  if (best) return best.domain;
  // any domain: .con, .cmo, .ocm, .vom for .com
  const tld = /\.(con|cmo|ocm|vom|xom|comm)$/.exec(domain);
  return tld ? domain.slice(0, tld.index) + '.com' : null;
}

/** What a checked (lower-case) email was probably meant to be, or null when it looks right.
 * `cache`: domains already judged, for a file of 100,000 rows with a handful of domains. */
export function suggestEmail(email: string, cache?: Map<string, string | null>): string | null {
  const at = email.lastIndexOf('@');
  if (at < 0) return null;
  const domain = email.slice(at + 1);
  let meant = cache?.get(domain);
  if (meant === undefined) {
    meant = likelyDomain(domain);
    cache?.set(domain, meant);
  }
  return meant === null ? null : email.slice(0, at + 1) + meant;
}
