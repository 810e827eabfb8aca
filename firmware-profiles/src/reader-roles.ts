import type { ProfileSet, ReaderMatch } from './profile-set.js';

export interface ReaderClassification {
  /** Slots for the citizen's card, in the order given. */
  user: ReaderMatch[];
  sam: ReaderMatch[];
  contactless: ReaderMatch[];
  /** Readers a profile says to leave alone (security keys, platform authenticators). */
  ignored: ReaderMatch[];
  /** Names no profile matched; the caller decides (the agent treats them as user slots it can offer). */
  unknown: string[];
}

/**
 * Sorts the readers PC/SC reports into roles by profile. This is where adding a profile file
 * changes what the terminal does without a code change: a reader matched by an `ignore` profile
 * never reaches the card session.
 */
export function classifyReaders(profiles: ProfileSet, names: readonly string[]): ReaderClassification {
  const out: ReaderClassification = { user: [], sam: [], contactless: [], ignored: [], unknown: [] };
  for (const name of names) {
    const match = profiles.matchReader(name);
    if (!match) out.unknown.push(name);
    else if (match.role === 'user') out.user.push(match);
    else if (match.role === 'sam') out.sam.push(match);
    else if (match.role === 'contactless') out.contactless.push(match);
    else out.ignored.push(match);
  }
  return out;
}
