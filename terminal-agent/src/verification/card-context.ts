import type { CardAlgorithm } from '@sscard/card-core';
import type { CardSession } from '../session/card-session.js';
import type { CardAuthVerifier } from './card-auth-verifier.js';
import type { DebitApplicationData } from '../apps/debit.js';
import type { CaKeys } from '@sscard/card-core';
import type { CheckContext } from './types.js';

/** What the checks that talk to the card get: its open session and the terminal's means of judging it. */
export interface CardCheckContext extends CheckContext {
  session: CardSession;
  /** The card's key algorithm (3DES generation 2, SM4 generation 3). */
  algorithm: CardAlgorithm;
  cardAuth?: CardAuthVerifier;
  /** Reads the debit application (once); undefined when the card has none. */
  debit(): Promise<DebitApplicationData | undefined>;
  /** Payment system CA public keys for offline data authentication. */
  caKeys?: CaKeys;
}
