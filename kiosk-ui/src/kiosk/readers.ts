import type { ReaderState } from '../protocol.js';

/** The readers a citizen's card can go into (not the PSAM slots or ignored readers). */
export function userReaders(readers: readonly ReaderState[]): ReaderState[] {
  return readers.filter((r) => r.role === 'user' || r.role === 'contactless');
}
