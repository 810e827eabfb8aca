import {
  type CardAlgorithm,
  CardError,
  CryptoError,
  SscardError,
  type CardGeneration,
  cardGeneration,
  decodeRecord,
  recordNumberOf,
  requireSuccess,
  SSSE_AID,
  SSSE_FIELDS,
  type SsseBasicInfo,
  type SsseFieldName,
  type SsseFieldValues,
  ValidationError,
} from '@sscard/card-core';
import type { SsseCardOsProfile } from '@sscard/firmware-profiles';
import type { CardSession } from '../session/card-session.js';
import { accept61xx } from './psam.js';

/** The holder's fields: in EF06, released on generation 3 cards only after EXTERNAL AUTHENTICATE. */
export const HOLDER_FIELDS = ['ssn', 'name', 'gender', 'ethnicity', 'birthplace', 'birthDate'] as const;
const CARD_FIELDS = [
  'cardIdCode',
  'cardType',
  'specVersion',
  'initOrg',
  'issueDate',
  'expiryDate',
  'cardNumber',
] as const;

type HolderField = (typeof HOLDER_FIELDS)[number];
type CardField = (typeof CARD_FIELDS)[number];

/**
 * What `iReadCardBas` returns of the card: the rest (card type, initialising institution, gender,
 * ethnicity, birthplace and date) is left unread, one READ RECORD each saved.
 */
const READ_CARD_BAS_FIELDS = {
  card: ['cardIdCode', 'specVersion', 'issueDate', 'expiryDate', 'cardNumber'],
  holder: ['ssn', 'name'],
} as const satisfies { card: readonly CardField[]; holder: readonly HolderField[] };

/** Which records a read fetches: all of the basic information, or what `iReadCardBas` returns. */
export type SsseFieldSet = 'all' | 'readCardBas';

/**
 * The basic information of a card as read. When the card did not release EF06 (a generation 3
 * card and no PSAM), the holder's fields are empty strings, as `iReadCardBas` returns them.
 */
export type SsseCardInfo = Omit<SsseBasicInfo, HolderField> & {
  [K in HolderField]: SsseFieldValues[K] | '';
} & {
  generation: CardGeneration;
};

/** Computes the EXTERNAL AUTHENTICATE cryptogram (RKSSSE, key id 02) over the card's challenge. */
export type ExternalAuthenticator = (request: {
  cardIdCode: string;
  algorithm: CardAlgorithm;
  challenge: Buffer;
}) => Promise<Buffer>;

export interface SsseReadOptions {
  /** The card OS profile the ATR matched: its quirks, and the algorithm when the data do not say. */
  cardOs?: SsseCardOsProfile;
  /** Releases EF06 on generation 3 cards. Without it their holder fields stay empty. */
  externalAuthenticator?: ExternalAuthenticator;
  /** Also read the name extension record (generation 2 and 3): one more APDU, needed only for very long names. */
  nameExtension?: boolean;
  /** `readCardBas`: only the seven fields `iReadCardBas` returns (default `all`). */
  fields?: SsseFieldSet;
}

export interface SsseReadResult {
  info: SsseCardInfo;
  generation: CardGeneration;
  algorithm: CardAlgorithm;
  holderDataRead: boolean;
  /** The fields read; those not read are empty strings in `info`. */
  fieldsRead: ReadonlySet<SsseFieldName>;
}

/** Generation 2 cards use 3DES keys, generation 3 cards SM4 (docs/card-conventions.md). */
export function algorithmOf(generation: CardGeneration, cardOs?: SsseCardOsProfile): CardAlgorithm {
  if (generation === 3) return 'sm4';
  if (generation === 2) return '3des';
  return cardOs?.algorithm ?? '3des';
}

/** The card has no social security application: a bank card, a transit card, a PSAM put in the wrong slot. */
export class NotSsseCardError extends SscardError {
  declare readonly code: 'NOT_SSSE_CARD';

  constructor(cause: CardError) {
    super(
      'NOT_SSSE_CARD',
      'the card has no social security application',
      { sw: cause.details?.sw },
      { cause },
    );
  }
}

/** SELECT the social security application by name; a `61xx` answer is success (FCI not needed). */
export async function selectSsse(session: CardSession, cardOs?: SsseCardOsProfile): Promise<void> {
  try {
    await selectSsseOnce(session, cardOs);
  } catch (e) {
    if (
      e instanceof CardError &&
      (e.sw === 0x6a82 || e.sw === 0x6a81 || e.sw === 0x6d00 || e.sw === 0x6e00)
    ) {
      throw new NotSsseCardError(e);
    }
    throw e;
  }
}

async function selectSsseOnce(session: CardSession, cardOs?: SsseCardOsProfile): Promise<void> {
  if (cardOs?.quirks.requiresMfSelectFirst) {
    requireSuccess(
      accept61xx(
        await session.transmit(
          { cla: 0x00, ins: 0xa4, p1: 0x00, p2: 0x00, data: Buffer.from([0x3f, 0x00]) },
          { raw: true },
        ),
      ),
    );
  }
  requireSuccess(
    accept61xx(
      await session.transmit({ cla: 0x00, ins: 0xa4, p1: 0x04, p2: 0x00, data: SSSE_AID }, { raw: true }),
    ),
  );
}

async function readField<K extends SsseFieldName>(
  session: CardSession,
  name: K,
  generation: CardGeneration,
): Promise<SsseFieldValues[K]> {
  const spec = SSSE_FIELDS[name];
  const record = recordNumberOf(name, generation) ?? spec.record;
  // READ RECORD by SFI with the exact Le (value + tag + length): one APDU per field, no 6Cxx round trip.
  const res = await session.transmit({
    cla: 0x00,
    ins: 0xb2,
    p1: record,
    p2: (spec.sfi << 3) | 0x04,
    le: spec.variable ? 256 : spec.length + 2,
  });
  const bytes = requireSuccess(res);
  try {
    return decodeRecord(name, bytes);
  } catch (e) {
    if (name === 'ssn' && e instanceof ValidationError) return ssnOfRecord(bytes, e) as SsseFieldValues[K];
    throw e;
  }
}

/**
 * An SSN record whose number is shaped like a citizen ID number but not a valid one (wrong check
 * character, impossible date): returned as read, so that the holder-data check judges it and the
 * read reports the card as inconsistent rather than failing. Anything else stays an error.
 */
function ssnOfRecord(record: Buffer, cause: ValidationError): string {
  const spec = SSSE_FIELDS.ssn;
  const text = record.subarray(2).toString('latin1');
  if (record[0] !== spec.tag || record[1] !== spec.length || !/^[0-9]{17}[0-9X]$/.test(text)) throw cause;
  return text;
}

/**
 * Reads EF05 and EF06 with the fewest APDUs: SELECT once, one READ RECORD per field by SFI, and on
 * generation 3 cards GET CHALLENGE + EXTERNAL AUTHENTICATE before EF06. The generation comes
 * from the specification version the card states (EF05 record 3), which decides the EF06 layout.
 * With `fields: 'readCardBas'` that is SELECT + 7 READ RECORD (gen 3: + 2 for the authentication).
 */
export async function readSsse(session: CardSession, options: SsseReadOptions = {}): Promise<SsseReadResult> {
  const subset = options.fields === 'readCardBas';
  const cardFields: readonly CardField[] = subset ? READ_CARD_BAS_FIELDS.card : CARD_FIELDS;
  const holderFields: readonly HolderField[] = subset ? READ_CARD_BAS_FIELDS.holder : HOLDER_FIELDS;
  const fieldsRead = new Set<SsseFieldName>();
  await selectSsse(session, options.cardOs);
  const card: Record<CardField, string> = {
    cardIdCode: '',
    cardType: '',
    specVersion: '',
    initOrg: '',
    issueDate: '',
    expiryDate: '',
    cardNumber: '',
  };
  // EF05's layout is the same in every generation; the generation then decides EF06's.
  for (const name of cardFields) {
    card[name] = await readField(session, name, 2);
    fieldsRead.add(name);
  }
  const generation = cardGeneration(card.specVersion);
  const algorithm = algorithmOf(generation, options.cardOs);

  let holderDataRead = generation !== 3;
  if (generation === 3 && options.externalAuthenticator) {
    const challenge = requireSuccess(
      await session.transmit({ cla: 0x00, ins: 0x84, p1: 0x00, p2: 0x00, le: 8 }),
    );
    const cryptogram = await options.externalAuthenticator({
      cardIdCode: card.cardIdCode,
      algorithm,
      challenge,
    });
    const answer = await session.transmit({ cla: 0x00, ins: 0x82, p1: 0x00, p2: 0x02, data: cryptogram });
    if (answer.sw === 0x6300) {
      // The card does not hold the RKSSSE key its identification code implies: not the issuer's card.
      throw new CryptoError(
        'EXTERNAL_AUTHENTICATION_REFUSED',
        "the card refused the terminal's authentication: its keys are not the ones its identification code implies",
        { sw: answer.sw },
      );
    }
    requireSuccess(answer);
    holderDataRead = true;
  }

  const holder: Record<HolderField, string> = {
    ssn: '',
    name: '',
    gender: '',
    ethnicity: '',
    birthplace: '',
    birthDate: '',
  };
  let nameExt: string | undefined;
  if (holderDataRead) {
    for (const name of holderFields) {
      holder[name] = await readField(session, name, generation);
      fieldsRead.add(name);
    }
    if (options.nameExtension && generation !== 1) {
      nameExt = await readField(session, 'nameExt', generation);
      fieldsRead.add('nameExt');
    }
  }
  const info = { ...card, ...holder, generation } as SsseCardInfo;
  if (nameExt) info.nameExt = nameExt;
  return { info, generation, algorithm, holderDataRead, fieldsRead };
}
