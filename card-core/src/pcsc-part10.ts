import { ProtocolError, ValidationError } from './errors.js';

/**
 * PC/SC part 10 (IFDs with secure PIN entry, v2.02.09): how a host asks a reader with a PIN pad
 * to take the PIN and build the card's VERIFY itself. The host reads the reader's features with
 * the feature request control code, then sends a PIN_VERIFY_STRUCTURE to the control code of
 * FEATURE_VERIFY_PIN_DIRECT (a PIN_MODIFY_STRUCTURE to FEATURE_MODIFY_PIN_DIRECT for a change);
 * the reader answers the card's status word. Pure encoding here; the
 * agent's PC/SC channel sends it with SCardControl.
 */

/** SCARD_CTL_CODE(code) as pcsc-lite defines it on Unix (Windows: FILE_DEVICE_SMARTCARD << 16 | code << 2). */
export function scardCtlCode(code: number): number {
  return 0x42000000 + code;
}

/** CM_IOCTL_GET_FEATURE_REQUEST: SCARD_CTL_CODE(3400); the answer is the reader's feature list. */
export const CM_IOCTL_GET_FEATURE_REQUEST = scardCtlCode(3400);

/** Feature tags of the list (part 10 §2.3). */
export const PCSC_FEATURE = {
  VERIFY_PIN_START: 0x01,
  VERIFY_PIN_FINISH: 0x02,
  MODIFY_PIN_START: 0x03,
  MODIFY_PIN_FINISH: 0x04,
  GET_KEY_PRESSED: 0x05,
  VERIFY_PIN_DIRECT: 0x06,
  MODIFY_PIN_DIRECT: 0x07,
  MCT_READER_DIRECT: 0x08,
  MCT_UNIVERSAL: 0x09,
  IFD_PIN_PROPERTIES: 0x0a,
  ABORT: 0x0b,
  SET_SPE_MESSAGE: 0x0c,
  VERIFY_PIN_DIRECT_APP_ID: 0x0d,
  MODIFY_PIN_DIRECT_APP_ID: 0x0e,
  WRITE_DISPLAY: 0x0f,
  GET_KEY: 0x10,
  IFD_DISPLAY_PROPERTIES: 0x11,
  GET_TLV_PROPERTIES: 0x12,
  CCID_ESC_COMMAND: 0x13,
} as const;

/**
 * The feature list: TLV records of tag (1 byte), length 4, and the feature's control code as a
 * 32-bit big-endian value. Returns control codes by tag.
 */
export function parseFeatureList(list: Uint8Array): Map<number, number> {
  const features = new Map<number, number>();
  let i = 0;
  while (i < list.length) {
    if (i + 6 > list.length || list[i + 1] !== 4) {
      throw new ProtocolError(
        'PCSC_FEATURE_LIST',
        `a feature record at byte ${i} is not tag, 04 and 4 bytes`,
      );
    }
    const code = ((list[i + 2]! << 24) | (list[i + 3]! << 16) | (list[i + 4]! << 8) | list[i + 5]!) >>> 0;
    features.set(list[i]!, code);
    i += 6;
  }
  return features;
}

export interface PinVerifyOptions {
  /** Seconds the reader waits for the first key (0: its default). */
  timeoutSeconds?: number;
  /** Seconds it waits after a key (0: as the first). */
  timeoutAfterKeySeconds?: number;
  /**
   * bmFormatString: bit 7 units (1 bytes), bits 6–3 the PIN's position after Lc in those units,
   * bit 2 right justification, bits 1–0 the PIN type (00 binary, 01 BCD, 10 ASCII).
   */
  formatString: number;
  /** bmPINBlockString: bits 7–4 the PIN length field's size in bits, bits 3–0 the PIN block's size in bytes. */
  pinBlockString: number;
  /** bmPINLengthFormat: bit 4 units, bits 3–0 the length field's position. */
  pinLengthFormat?: number;
  minDigits: number;
  maxDigits: number;
  /** bEntryValidationCondition: 01 maximum size reached, 02 validation key pressed, 04 timeout. */
  entryValidation?: number;
  /** bNumberMessage: how many messages the reader shows (00 none, 01 one, FF its default). */
  messages?: number;
  /** wLangId, e.g. 0x0804 Chinese (PRC), 0x0409 English (US). */
  languageId?: number;
  /** The APDU the reader completes with the PIN: its data holds the PIN block's placeholder. */
  apdu: Uint8Array;
}

const u8 = (value: number, name: string): number => {
  if (!Number.isInteger(value) || value < 0 || value > 0xff) {
    throw new ValidationError('PIN_VERIFY_FIELD', `${name} is one byte, not ${value}`);
  }
  return value;
};

/**
 * PIN_VERIFY_STRUCTURE (part 10 §2.5.2), packed, multi-byte fields little-endian: bTimerOut,
 * bTimerOut2, bmFormatString, bmPINBlockString, bmPINLengthFormat, wPINMaxExtraDigit (max, min),
 * bEntryValidationCondition, bNumberMessage, wLangId, bMsgIndex, bTeoPrologue[3], ulDataLength,
 * abData.
 */
export function pinVerifyStructure(options: PinVerifyOptions): Buffer {
  if (options.apdu.length < 5 || options.apdu.length > 255) {
    throw new ValidationError('PIN_VERIFY_FIELD', `the APDU has 5 to 255 bytes, not ${options.apdu.length}`);
  }
  if (options.minDigits > options.maxDigits) {
    throw new ValidationError('PIN_VERIFY_FIELD', 'the least PIN length is above the greatest');
  }
  const head = Buffer.alloc(19);
  head[0] = u8(options.timeoutSeconds ?? 0, 'bTimerOut');
  head[1] = u8(options.timeoutAfterKeySeconds ?? 0, 'bTimerOut2');
  head[2] = u8(options.formatString, 'bmFormatString');
  head[3] = u8(options.pinBlockString, 'bmPINBlockString');
  head[4] = u8(options.pinLengthFormat ?? 0, 'bmPINLengthFormat');
  // wPINMaxExtraDigit = XXYY, XX the least and YY the most digits; little-endian on the wire.
  head.writeUInt16LE((u8(options.minDigits, 'min digits') << 8) | u8(options.maxDigits, 'max digits'), 5);
  head[7] = u8(options.entryValidation ?? 0x02, 'bEntryValidationCondition');
  head[8] = u8(options.messages ?? 0x01, 'bNumberMessage');
  head.writeUInt16LE(options.languageId ?? 0x0804, 9);
  head[11] = 0x00; // bMsgIndex
  // bTeoPrologue[3] stays zero: T=0 and short T=1 APDUs need none.
  head.writeUInt32LE(options.apdu.length, 15);
  return Buffer.concat([head, options.apdu]);
}

export interface PinModifyOptions extends Omit<PinVerifyOptions, 'apdu'> {
  /** bInsertionOffsetOld: where the current PIN goes, in units after the format's position. */
  currentPinOffset: number;
  /** bInsertionOffsetNew: where the new PIN goes, in the same units. */
  newPinOffset: number;
  /** bConfirmPIN: bit 1 the current PIN is entered, bit 0 the new PIN is entered twice. */
  confirm: number;
  /** The APDU the reader completes with the PINs: its data holds both PIN blocks' placeholders. */
  apdu: Uint8Array;
}

/**
 * PIN_MODIFY_STRUCTURE (part 10 §2.5.3), packed, multi-byte fields little-endian: bTimerOut,
 * bTimerOut2, bmFormatString, bmPINBlockString, bmPINLengthFormat, bInsertionOffsetOld,
 * bInsertionOffsetNew, wPINMaxExtraDigit, bConfirmPIN, bEntryValidationCondition, bNumberMessage,
 * wLangId, bMsgIndex1–3, bTeoPrologue[3], ulDataLength, abData.
 */
export function pinModifyStructure(options: PinModifyOptions): Buffer {
  if (options.apdu.length < 5 || options.apdu.length > 255) {
    throw new ValidationError('PIN_VERIFY_FIELD', `the APDU has 5 to 255 bytes, not ${options.apdu.length}`);
  }
  if (options.minDigits > options.maxDigits) {
    throw new ValidationError('PIN_VERIFY_FIELD', 'the least PIN length is above the greatest');
  }
  const head = Buffer.alloc(24);
  head[0] = u8(options.timeoutSeconds ?? 0, 'bTimerOut');
  head[1] = u8(options.timeoutAfterKeySeconds ?? 0, 'bTimerOut2');
  head[2] = u8(options.formatString, 'bmFormatString');
  head[3] = u8(options.pinBlockString, 'bmPINBlockString');
  head[4] = u8(options.pinLengthFormat ?? 0, 'bmPINLengthFormat');
  head[5] = u8(options.currentPinOffset, 'bInsertionOffsetOld');
  head[6] = u8(options.newPinOffset, 'bInsertionOffsetNew');
  head.writeUInt16LE((u8(options.minDigits, 'min digits') << 8) | u8(options.maxDigits, 'max digits'), 7);
  head[9] = u8(options.confirm, 'bConfirmPIN');
  head[10] = u8(options.entryValidation ?? 0x02, 'bEntryValidationCondition');
  // One message per entry the pad asks for: current PIN, new PIN, confirmation.
  head[11] = u8(options.messages ?? 0x03, 'bNumberMessage');
  head.writeUInt16LE(options.languageId ?? 0x0804, 12);
  head[14] = 0x00; // bMsgIndex1: "enter PIN"
  head[15] = 0x01; // bMsgIndex2: "enter new PIN"
  head[16] = 0x02; // bMsgIndex3: "confirm new PIN"
  head.writeUInt32LE(options.apdu.length, 20);
  return Buffer.concat([head, options.apdu]);
}

/**
 * What the reader's answer to a direct PIN verify or modify means (part 10 §2.5.2–3: 6400
 * timeout, 6401 cancel, 6402 the new PIN and its confirmation differ, 6403 a PIN of the wrong
 * length; in none of these did the card see a command).
 */
export type PinPadAnswer =
  | { outcome: 'answered'; sw: number }
  | { outcome: 'timeout' }
  | { outcome: 'cancelled' }
  | { outcome: 'entriesDiffer' }
  | { outcome: 'badLength' };

export function pinPadAnswer(response: Uint8Array): PinPadAnswer {
  if (response.length < 2)
    throw new ProtocolError('PCSC_PIN_ANSWER', 'the reader answered without a status word');
  const sw = (response[response.length - 2]! << 8) | response[response.length - 1]!;
  if (sw === 0x6400) return { outcome: 'timeout' };
  if (sw === 0x6401) return { outcome: 'cancelled' };
  if (sw === 0x6402) return { outcome: 'entriesDiffer' };
  if (sw === 0x6403) return { outcome: 'badLength' };
  return { outcome: 'answered', sw };
}
