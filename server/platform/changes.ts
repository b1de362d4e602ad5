import type { Db } from './db.js';

/** Staff changes that a cached computation must show at once, counted per connection.
 *
 * A slow computation (the national results document: about a second) may be shared for a few
 * seconds although respondents or sign-ins write meanwhile; the page says when it was computed.
 * What must never be hidden that way is a change a staff member has just made and now looks for
 * (a correction, a review decision, paper responses, a new definition): the services making such
 * changes count them here, and a cached computation from before the count is not reused. Changes
 * from another process (the CLI) show once the short reuse is over. */
export type ChangeTopic = 'results';

const counts = new WeakMap<Db, Map<ChangeTopic, number>>();

export function noteChange(db: Db, topic: ChangeTopic): void {
  let byTopic = counts.get(db);
  if (!byTopic) counts.set(db, (byTopic = new Map()));
  byTopic.set(topic, (byTopic.get(topic) ?? 0) + 1);
}

export function changeCount(db: Db, topic: ChangeTopic): number {
  return counts.get(db)?.get(topic) ?? 0;
}
