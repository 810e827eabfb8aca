/** The readers a terminal has and the cards in them, as the agent reports them. */

export type ReaderKind = 'pcsc' | 'serial';

/** What a reader is used for: the citizen's card (contact or contactless), the PSAM, or nothing. */
export type ReaderRole = 'user' | 'contactless' | 'psam' | 'ignore';

export interface ReaderCardState {
  /** The card's ATR, upper-case hex. */
  atr: string;
  /** The card operating system profile the ATR matched, when one did. */
  cardOs?: string;
}

export interface ReaderState {
  name: string;
  kind: ReaderKind;
  role: ReaderRole;
  /** The reader profile its name matched, when one did. */
  profile?: string;
  /**
   * `keypad`: the reader takes a PIN on its own keypad and sends the card's VERIFY itself; the PIN
   * never reaches the host, and the agent asks for it there instead of at a PIN pad or on screen.
   */
  pinEntry?: 'keypad';
  /**
   * `keypad`: the reader's keypad also takes a PIN change (current PIN, new PIN, confirmation).
   * Absent where `pinEntry` is `keypad`: the change is entered at the PIN pad or on screen.
   */
  pinChangeEntry?: 'keypad';
  card?: ReaderCardState;
}

export interface CardInsertedEvent extends ReaderCardState {
  reader: string;
  role: ReaderRole;
}

export interface CardRemovedEvent {
  reader: string;
  role: ReaderRole;
}

export type ReaderRemovedEvent = Pick<ReaderState, 'name' | 'kind' | 'role'>;
