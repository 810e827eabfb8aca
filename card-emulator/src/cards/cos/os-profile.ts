import { toHex } from '@sscard/card-core';
import { atrMatches, type CardOsProfile, ProfileError } from '@sscard/firmware-profiles';

/** What the shared card OS takes from a card OS profile's quirks. */
export interface CardOsBehaviour {
  /** The profile's `selectAidAnswer` is 61xx: its application gives the FCI through GET RESPONSE. */
  fciWaiting: boolean;
  requiresMfSelectFirst: boolean;
}

/**
 * The SELECT behaviour a card OS profile declares, for the shared card OS. A profile asking for a
 * behaviour the card OS does not model is refused: an emulated card that silently behaves
 * otherwise than its profile would teach the terminal the wrong card.
 */
export function cardOsBehaviour(os: CardOsProfile): CardOsBehaviour {
  if (!os.quirks.wrongLeAnswers6Cxx) {
    throw new ProfileError(
      'PROFILE_NOT_EMULATED',
      `card OS profile ${os.id}: the emulated card OS answers a wrong Le with 6Cxx only (quirks.wrongLeAnswers6Cxx: false is not modelled)`,
      { id: os.id, path: 'quirks.wrongLeAnswers6Cxx' },
    );
  }
  return {
    fciWaiting: os.quirks.selectAidAnswer !== '9000',
    requiresMfSelectFirst: os.quirks.requiresMfSelectFirst,
  };
}

/**
 * Refuses an ATR that none of the profile's patterns accepts: the terminal classifies cards by
 * those patterns, so such a card would be taken for another OS (or none) by the same profiles.
 */
export function requireDeclaredAtr(os: CardOsProfile, atr: Uint8Array): void {
  if (os.atr.some((pattern) => atrMatches(pattern, atr))) return;
  throw new ProfileError(
    'PROFILE_ATR_MISMATCH',
    `card OS profile ${os.id}: the ATR it builds, ${toHex(atr)}, matches none of its own ATR patterns`,
    { id: os.id, path: 'atr', atr: toHex(atr) },
  );
}
