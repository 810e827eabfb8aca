import { toHex } from '@sscard/card-core';
import { atrMatches, atrSpecificity } from './atr-pattern.js';
import { ProfileError } from './errors.js';
import type { CardOsProfile, PsamCardOsProfile, SsseCardOsProfile } from './schema/card-os.js';
import type { PcscReaderProfile, SlotRole } from './schema/pcsc-reader.js';
import type { PinPadProfile } from './schema/pin-pad.js';
import type { SerialReaderProfile } from './schema/serial-reader.js';

export interface Profiles {
  cardOs: CardOsProfile[];
  pcscReaders: PcscReaderProfile[];
  serialReaders: SerialReaderProfile[];
  pinPads: PinPadProfile[];
}

export interface ReaderMatch {
  /** The full PC/SC reader name. */
  name: string;
  profile: PcscReaderProfile;
  /** `YY` of the trailing ` XX YY`, or undefined for a name without it. */
  slot: string | undefined;
  role: SlotRole;
}

/** pcsc-lite names every reader `<friendly name> XX YY`: reader index and slot, two hex digits each. */
const PCSC_SUFFIX = /^(.*) ([0-9A-F]{2}) ([0-9A-F]{2})$/;

function byId<T extends { id: string }>(kind: string, list: T[], id: string): T {
  const found = list.find((p) => p.id === id);
  if (!found) {
    throw new ProfileError('PROFILE_NOT_FOUND', `no ${kind} profile "${id}"`, {
      kind,
      id,
      known: list.map((p) => p.id),
    });
  }
  return found;
}

/** The loaded profiles and the questions the emulator and the agent ask of them. */
export class ProfileSet {
  readonly cardOs: readonly CardOsProfile[];
  readonly pcscReaders: readonly PcscReaderProfile[];
  readonly serialReaders: readonly SerialReaderProfile[];
  readonly pinPads: readonly PinPadProfile[];

  constructor(profiles: Profiles) {
    this.cardOs = profiles.cardOs;
    this.pcscReaders = profiles.pcscReaders;
    this.serialReaders = profiles.serialReaders;
    this.pinPads = profiles.pinPads;
  }

  cardOsById(id: string): CardOsProfile {
    return byId('card OS', [...this.cardOs], id);
  }

  /** The profile of the social security card OS of one generation. */
  ssseOs(generation: 2 | 3): SsseCardOsProfile {
    const found = this.cardOs.find(
      (p): p is SsseCardOsProfile => p.role === 'ssse' && p.generation === generation,
    );
    if (!found)
      throw new ProfileError('PROFILE_NOT_FOUND', `no card OS profile for generation ${generation}`);
    return found;
  }

  psamOs(): PsamCardOsProfile {
    const found = this.cardOs.find((p): p is PsamCardOsProfile => p.role === 'psam');
    if (!found) throw new ProfileError('PROFILE_NOT_FOUND', 'no PSAM card OS profile');
    return found;
  }

  /** The card OS whose ATR pattern fits, the most specific one when several do; undefined for an unknown card. */
  matchCardOs(atr: Uint8Array): CardOsProfile | undefined {
    let best: CardOsProfile | undefined;
    let bestBits = -1;
    for (const profile of this.cardOs) {
      for (const pattern of profile.atr) {
        if (!atrMatches(pattern, atr)) continue;
        const bits = atrSpecificity(pattern);
        if (bits > bestBits) {
          best = profile;
          bestBits = bits;
        }
      }
    }
    return best;
  }

  /** Like matchCardOs, but an unknown card is an error naming its ATR. */
  requireCardOs(atr: Uint8Array): CardOsProfile {
    const found = this.matchCardOs(atr);
    if (!found) throw new ProfileError('CARD_OS_UNKNOWN', `no card OS profile matches ATR ${toHex(atr)}`);
    return found;
  }

  /** The reader profile that applies to a PC/SC reader name and the role of its slot. */
  matchReader(name: string): ReaderMatch | undefined {
    const m = PCSC_SUFFIX.exec(name);
    const base = m ? m[1]! : name;
    const slot = m ? m[3]! : undefined;
    let best: PcscReaderProfile | undefined;
    for (const profile of this.pcscReaders) {
      if (!new RegExp(profile.namePattern, profile.caseInsensitive ? 'i' : '').test(base)) continue;
      if (!best || profile.priority > best.priority) best = profile;
    }
    if (!best) return undefined;
    const role = (slot !== undefined ? best.slotRoles[slot] : undefined) ?? best.defaultRole;
    return { name, profile: best, slot, role };
  }

  serialReader(id: string): SerialReaderProfile {
    return byId('serial reader', [...this.serialReaders], id);
  }

  pinPad(id: string): PinPadProfile {
    return byId('PIN pad', [...this.pinPads], id);
  }
}
