import {
  CLA,
  INS,
  SELECT_BY,
  SSSE_KEY_IDS,
  readRecordBySfi,
  type CardAlgorithm,
  CardError,
  CryptoError,
  SscardError,
  type CardGeneration,
  cardGeneration,
  decodeRecord,
  type ResponseApdu,
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

/**
 * The holder's fields: in EF06, released on generation 3 cards only after EXTERNAL AUTHENTICATE.
 * Read in this order: the ethnicity, which no check judges, last, so that the checks on the data
 * run while its record is on its way.
 */
export const HOLDER_FIELDS = ['ssn', 'name', 'gender', 'birthplace', 'birthDate', 'ethnicity'] as const;
// The identification code and the specification version first: they say which keys the card holds.
const CARD_FIELDS = [
  'cardIdCode',
  'specVersion',
  'cardType',
  'initOrg',
  'issueDate',
  'expiryDate',
  'cardNumber',
] as const;

export type HolderField = (typeof HOLDER_FIELDS)[number];
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

/**
 * Computes the EXTERNAL AUTHENTICATE cryptogram (RKSSSE, key id 02) over the card's challenge.
 * Called as soon as the card's identification code and algorithm are known, before GET CHALLENGE:
 * it may start what does not need the challenge (the PSAM's key diversification) and then wait
 * for `challenge`, which rejects when the read ends without one. `undefined` means no cryptogram
 * can be had now (the registry service that would give it cannot): the card keeps its holder
 * records locked, and the read returns the public fields as a terminal without an authenticator.
 */
export type ExternalAuthenticator = (request: {
  cardIdCode: string;
  algorithm: CardAlgorithm;
  challenge: Promise<Buffer>;
}) => Promise<Buffer | undefined>;

/** What the terminal knows of a card once its first EF05 records are read. */
export interface SsseCardIdentity {
  cardIdCode: string;
  algorithm: CardAlgorithm;
  generation: CardGeneration;
}

export interface SsseReadOptions {
  /** The card OS profile the ATR matched: its quirks, and the algorithm when the data do not say. */
  cardOs?: SsseCardOsProfile;
  /** Releases EF06 on generation 3 cards. Without it their holder fields stay empty. */
  externalAuthenticator?: ExternalAuthenticator;
  /** Also read the name extension record (generation 2 and 3): one more APDU, needed only for very long names. */
  nameExtension?: boolean;
  /** `readCardBas`: only the seven fields `iReadCardBas` returns (default `all`). */
  fields?: SsseFieldSet;
  /**
   * Called once the card identification code and the algorithm are known, while the card still
   * answers its other records: work that needs only these can start. Whoever starts it settles it.
   */
  onIdentified?: (card: SsseCardIdentity) => void;
  /**
   * Called once, when the read's last READ RECORD is on its way and every record before it is
   * decoded: work on the data that does not need the last record can run while the card answers.
   */
  whileLastRecord?: (progress: SsseReadProgress) => void;
}

export interface SsseReadResult {
  info: SsseCardInfo;
  generation: CardGeneration;
  algorithm: CardAlgorithm;
  holderDataRead: boolean;
  /** The fields read; those not read are empty strings in `info`. */
  fieldsRead: ReadonlySet<SsseFieldName>;
}

/**
 * A read with one record still on its way: `info` holds everything else (the `pending` field is
 * still empty), and the rest is final — `fieldsRead` names `pending` too.
 */
export interface SsseReadProgress extends SsseReadResult {
  pending: SsseFieldName;
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
          { cla: CLA.ISO, ins: INS.SELECT, p1: SELECT_BY.fileId, p2: 0x00, data: Buffer.from([0x3f, 0x00]) },
          { raw: true },
        ),
      ),
    );
  }
  requireSuccess(
    accept61xx(
      await session.transmit(
        { cla: CLA.ISO, ins: INS.SELECT, p1: SELECT_BY.name, p2: 0x00, data: SSSE_AID },
        { raw: true },
      ),
    ),
  );
}

/** READ RECORD of one field by SFI with the exact Le (value + tag + length): no 6Cxx round trip. */
function readRecord(
  session: CardSession,
  name: SsseFieldName,
  generation: CardGeneration,
): Promise<ResponseApdu> {
  const spec = SSSE_FIELDS[name];
  return session.transmit({
    cla: CLA.ISO,
    ins: INS.READ_RECORD,
    p1: recordNumberOf(name, generation) ?? spec.record,
    p2: readRecordBySfi(spec.sfi),
    le: spec.variable ? 256 : spec.length + 2,
  });
}

function decodeFieldRecord<K extends SsseFieldName>(name: K, bytes: Buffer): SsseFieldValues[K] {
  try {
    return decodeRecord(name, bytes);
  } catch (e) {
    if (name === 'ssn' && e instanceof ValidationError) return ssnOfRecord(bytes, e) as SsseFieldValues[K];
    throw e;
  }
}

/** Waits for a command or computation still under way, whatever its outcome. */
const untilSettled = (pending: Promise<unknown> | undefined): Promise<unknown> | undefined =>
  pending?.then(
    () => undefined,
    () => undefined,
  );

/**
 * READ RECORD of each field in turn, one APDU each. The card works on the next command while the
 * agent decodes the record it just sent: each READ RECORD goes out as soon as the previous answer
 * is in and is a success, before that answer is decoded; `after` sends the command that follows the
 * last record the same way, and its answer is returned still on its way (`next`). `first` is the
 * first field's READ RECORD when it is already on its way. A record that cannot be decoded ends
 * the read once the command sent after it has been answered.
 */
async function readFields<K extends SsseFieldName>(
  session: CardSession,
  names: readonly K[],
  generation: CardGeneration,
  take: (name: K, value: SsseFieldValues[K]) => void,
  sends: {
    first?: Promise<ResponseApdu> | undefined;
    after?: () => Promise<ResponseApdu> | undefined;
    /** Called when the last field's READ RECORD is on its way and every field before it decoded. */
    whileLast?: (name: K) => void;
  } = {},
): Promise<{ next: Promise<ResponseApdu> | undefined }> {
  const issue = (i: number): Promise<ResponseApdu> | undefined =>
    i < names.length ? readRecord(session, names[i]!, generation) : sends.after?.();
  let inFlight = names.length > 0 ? (sends.first ?? issue(0)) : issue(0);
  const last = names.length - 1;
  try {
    if (last === 0) sends.whileLast?.(names[0]!);
    for (let i = 0; i <= last; i++) {
      const name = names[i]!;
      const bytes = requireSuccess(await inFlight!);
      inFlight = issue(i + 1);
      take(name, decodeFieldRecord(name, bytes));
      if (i === last - 1) sends.whileLast?.(names[last]!);
    }
  } catch (e) {
    await untilSettled(inFlight);
    throw e;
  }
  return { next: inFlight };
}

/** An EXTERNAL AUTHENTICATE begun before the card's challenge is known. */
interface ExternalAuthentication {
  /** The authenticator's cryptogram; read only once the challenge was delivered. */
  readonly cryptogram: Promise<Buffer | undefined>;
  deliver(challenge: Buffer): void;
  /** Whether the authenticator is still at work (its cryptogram has not settled). */
  readonly busy: boolean;
  /** Withdraws a challenge that will not come and waits until the authenticator has finished. */
  settle(): Promise<void>;
}

function beginExternalAuthentication(
  authenticator: ExternalAuthenticator,
  request: { cardIdCode: string; algorithm: CardAlgorithm },
): ExternalAuthentication {
  let deliver!: (challenge: Buffer) => void;
  let withdraw!: (reason: Error) => void;
  let delivered = false;
  const challenge = new Promise<Buffer>((resolve, reject) => {
    deliver = resolve;
    withdraw = reject;
  });
  // An authenticator that failed before it needed the challenge never looks at it.
  challenge.catch(() => undefined);
  let cryptogram: Promise<Buffer | undefined>;
  try {
    cryptogram = authenticator({ ...request, challenge });
  } catch (e) {
    cryptogram = Promise.reject(e);
  }
  let busy = true;
  const done = (): void => {
    busy = false;
  };
  // Read after GET CHALLENGE; a read that fails before then drops it in `settle`.
  cryptogram.then(done, done);
  return {
    cryptogram,
    deliver(value) {
      delivered = true;
      deliver(value);
    },
    get busy() {
      return busy;
    },
    async settle() {
      if (!delivered) withdraw(new Error('the read ended before the card gave its challenge'));
      await untilSettled(cryptogram);
    },
  };
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
 *
 * The card identification code and the specification version are read first: with them the
 * terminal knows which keys the card holds, and work that needs only that starts while the card
 * answers its other records — the external authentication's key diversification on the PSAM,
 * and whatever `onIdentified` starts. Each READ RECORD goes out before the record before it is
 * decoded, and `whileLastRecord` runs while the last one is on its way. What this function
 * started has settled when it returns or throws; what the callbacks started is their caller's.
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
  const holder: Record<HolderField, string> = {
    ssn: '',
    name: '',
    gender: '',
    ethnicity: '',
    birthplace: '',
    birthDate: '',
  };
  let generation = 2 as CardGeneration;
  let algorithm: CardAlgorithm = algorithmOf(generation, options.cardOs);
  let authentication: ExternalAuthentication | undefined;
  const whileLastRecord = options.whileLastRecord;
  const lastRecordSent = (pending: SsseFieldName, holderDataRead: boolean): void => {
    whileLastRecord?.({
      info: { ...card, ...holder, generation } as SsseCardInfo,
      generation,
      algorithm,
      holderDataRead,
      fieldsRead: new Set([...fieldsRead, pending]),
      pending,
    });
  };
  try {
    // EF05's layout is the same in every generation; the generation then decides EF06's. What
    // follows the last EF05 record is sent before that record is decoded: the specification
    // version (second in both field lists) has been decoded by then.
    const afterCard = await readFields(
      session,
      cardFields,
      2,
      (name, value) => {
        card[name] = value;
        fieldsRead.add(name);
        if (name !== 'specVersion') return;
        generation = cardGeneration(value);
        algorithm = algorithmOf(generation, options.cardOs);
        if (generation === 3 && options.externalAuthenticator) {
          authentication = beginExternalAuthentication(options.externalAuthenticator, {
            cardIdCode: card.cardIdCode,
            algorithm,
          });
        }
        options.onIdentified?.({ cardIdCode: card.cardIdCode, algorithm, generation });
      },
      {
        after: () => {
          if (authentication)
            return session.transmit({ cla: CLA.ISO, ins: INS.GET_CHALLENGE, p1: 0x00, p2: 0x00, le: 8 });
          return generation !== 3 && holderFields.length > 0
            ? readRecord(session, holderFields[0]!, generation)
            : undefined;
        },
        // EF05's last record is the read's last when no EF06 record follows it.
        whileLast: (name) => {
          if (generation === 3 && !authentication) lastRecordSent(name, false);
        },
      },
    );

    let holderDataRead = generation !== 3;
    const firstHolderRecord = holderDataRead ? afterCard.next : undefined;
    let cryptogram: Buffer | undefined;
    if (authentication) {
      authentication.deliver(requireSuccess(await afterCard.next!));
      cryptogram = await authentication.cryptogram;
    }
    if (cryptogram) {
      const answer = await session.transmit({
        cla: CLA.ISO,
        ins: INS.EXTERNAL_AUTHENTICATE,
        p1: 0x00,
        p2: SSSE_KEY_IDS.externalAuth,
        data: cryptogram,
      });
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

    let nameExt: string | undefined;
    if (holderDataRead) {
      const readExtension = options.nameExtension === true && generation !== 1;
      await readFields(
        session,
        holderFields,
        generation,
        (name, value) => {
          holder[name] = value;
          fieldsRead.add(name);
        },
        {
          first: firstHolderRecord,
          ...(readExtension ? {} : { whileLast: (name: HolderField) => lastRecordSent(name, true) }),
        },
      );
      if (readExtension) {
        const extension = readRecord(session, 'nameExt', generation);
        try {
          lastRecordSent('nameExt', true);
        } catch (e) {
          await untilSettled(extension);
          throw e;
        }
        nameExt = decodeFieldRecord('nameExt', requireSuccess(await extension));
        fieldsRead.add('nameExt');
      }
    }
    const info = { ...card, ...holder, generation } as SsseCardInfo;
    if (nameExt) info.nameExt = nameExt;
    return { info, generation, algorithm, holderDataRead, fieldsRead };
  } finally {
    if (authentication?.busy) await authentication.settle();
  }
}

/**
 * READ RECORD of holder fields (EF06) on a card whose application is selected and, for a
 * generation 3 card, whose terminal authentication has just succeeded: the second half of a read
 * that authenticated the terminal in between (the ministry interface's two-step read through the
 * bureau's HSM). One APDU each, pipelined as `readSsse` does.
 */
export async function readHolderFields(
  session: CardSession,
  generation: CardGeneration,
  names: readonly (HolderField | 'nameExt')[] = READ_CARD_BAS_FIELDS.holder,
): Promise<Partial<Record<HolderField | 'nameExt', string>>> {
  const holder: Partial<Record<HolderField | 'nameExt', string>> = {};
  await readFields(session, names, generation, (name, value) => {
    holder[name] = value;
  });
  return holder;
}
