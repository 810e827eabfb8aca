import type { CardAlgorithm } from '@sscard/card-core';
import type { CardSession } from '../session/card-session.js';
import type { CardAuthVerifier, PreparedCardAuthChallenge } from './card-auth-verifier.js';
import type { DebitApplicationData } from '../apps/debit.js';
import type { CaKeys } from '@sscard/card-core';
import type { CheckContext } from './types.js';

/** What the checks that talk to the card get: its open session and the terminal's means of judging it. */
export interface CardCheckContext extends CheckContext {
  session: CardSession;
  /** The card's key algorithm (3DES generation 2, SM4 generation 3). */
  algorithm: CardAlgorithm;
  cardAuth?: CardAuthVerifier;
  /**
   * The challenge `cardAuth` was asked for while the card was still being read; the
   * card-authentication check takes it instead of asking again (when it is for this card).
   */
  preparedChallenge?: PreparedCardAuthChallenge;
  /** Reads the debit application (once); undefined when the card has none. */
  debit(): Promise<DebitApplicationData | undefined>;
  /** Payment system CA public keys for offline data authentication. */
  caKeys?: CaKeys;
}
