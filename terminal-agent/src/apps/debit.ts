import { randomBytes } from 'node:crypto';
import {
  CLA,
  INS,
  SELECT_BY,
  readRecordBySfi,
  CardError,
  type DolEntry,
  findTlv,
  fromHex,
  type OdaRecord,
  parseBerTlv,
  parseDol,
  ProtocolError,
  requireSuccess,
  staticDataToAuthenticate,
  type Tlv,
  toHex,
} from '@sscard/card-core';
import type { CardSession } from '../session/card-session.js';

/** PBOC 3.0 / UnionPay applications a social security card's financial function may carry. */
export const DEBIT_AIDS = ['A000000333010101', 'A000000333010102', 'A000000333010103'].map(fromHex);
const PPSE = Buffer.from('2PAY.SYS.DDF01', 'ascii');

/** Everything offline data authentication needs, as the card's records gave it. */
export interface DebitApplicationData {
  aid: Buffer;
  aip: Buffer;
  pan: string;
  /** Tags found in the AFL records (first occurrence), by tag number. */
  tags: Map<number, Buffer>;
  /** The static data to be authenticated, built from the records the AFL marks. */
  staticData: Buffer;
  supportsSda: boolean;
  supportsDda: boolean;
}

function collect(nodes: readonly Tlv[], into: Map<number, Buffer>): void {
  for (const node of nodes) {
    if (node.children) collect(node.children, into);
    else if (!into.has(node.tag)) into.set(node.tag, node.value);
  }
}

async function selectByName(session: CardSession, name: Buffer): Promise<Buffer | undefined> {
  const res = await session.transmit({
    cla: CLA.ISO,
    ins: INS.SELECT,
    p1: SELECT_BY.name,
    p2: 0x00,
    data: name,
    le: 256,
  });
  if (res.sw === 0x6a82 || res.sw === 0x6a81) return undefined;
  return requireSuccess(res, 'selecting a payment application');
}

/** The AIDs the PPSE directory lists, or the known debit AIDs when the card has no PPSE. */
async function candidateAids(session: CardSession): Promise<Buffer[]> {
  const fci = await selectByName(session, PPSE);
  if (!fci) return DEBIT_AIDS;
  const listed = new Map<string, Buffer>();
  const walk = (nodes: readonly Tlv[]): void => {
    for (const node of nodes) {
      if (node.tag === 0x4f) listed.set(toHex(node.value), node.value);
      if (node.children) walk(node.children);
    }
  };
  walk(parseBerTlv(fci));
  const known = [...listed.values()].filter((aid) => DEBIT_AIDS.some((d) => d.equals(aid)));
  return known.length > 0 ? known : DEBIT_AIDS;
}

/** PDOL data a terminal without an amount supplies: zeros, except the ones a card checks for sense. */
function pdolData(entries: readonly DolEntry[], now: Date): Buffer {
  const yymmdd = Buffer.from(now.toISOString().slice(2, 10).replace(/-/g, ''), 'hex');
  const known: Record<number, Buffer> = {
    40759: randomBytes(4),
    24362: Buffer.from('0156', 'hex'),
    40730: Buffer.from('0156', 'hex'),
    154: yymmdd,
  };
  return Buffer.concat(
    entries.map(({ tag, length }) => {
      const out = Buffer.alloc(length);
      known[tag]?.copy(out, 0, 0, length);
      return out;
    }),
  );
}

function panOf(bcd: Buffer): string {
  return toHex(bcd).replace(/F+$/, '');
}

/**
 * Selects the debit application and reads what the AFL names: SELECT (PPSE, then the AID), GET
 * PROCESSING OPTIONS with the PDOL filled, and READ RECORD for every AFL record. Undefined when
 * the card has no debit application.
 */
export async function readDebitApplication(
  session: CardSession,
  now = new Date(),
): Promise<DebitApplicationData | undefined> {
  for (const aid of await candidateAids(session)) {
    const fci = await selectByName(session, aid);
    if (!fci) continue;
    const fciTags = new Map<number, Buffer>();
    collect(parseBerTlv(fci), fciTags);
    const pdol = fciTags.get(0x9f38);
    const data = pdol ? pdolData(parseDol(pdol), now) : Buffer.alloc(0);
    const gpo = requireSuccess(
      await session.transmit({
        cla: CLA.PROPRIETARY,
        ins: INS.GET_PROCESSING_OPTIONS,
        p1: 0x00,
        p2: 0x00,
        data: Buffer.concat([Buffer.from([0x83, data.length]), data]),
        le: 256,
      }),
      'GET PROCESSING OPTIONS',
    );
    const [template] = parseBerTlv(gpo);
    let aip: Buffer | undefined;
    let afl: Buffer | undefined;
    if (template?.tag === 0x80) {
      aip = template.value.subarray(0, 2);
      afl = template.value.subarray(2);
    } else if (template?.tag === 0x77) {
      aip = findTlv([template], 0x82)?.value;
      afl = findTlv([template], 0x94)?.value;
    }
    if (aip?.length !== 2 || !afl || afl.length % 4 !== 0) {
      throw new ProtocolError('GPO_RESPONSE', 'GET PROCESSING OPTIONS answered without a valid AIP and AFL');
    }
    const tags = new Map<number, Buffer>();
    const odaRecords: OdaRecord[] = [];
    for (let i = 0; i < afl.length; i += 4) {
      const sfi = afl[i]! >> 3;
      const first = afl[i + 1]!;
      const last = afl[i + 2]!;
      const odaCount = afl[i + 3]!;
      for (let record = first; record <= last; record++) {
        const bytes = requireSuccess(
          await session.transmit({
            cla: CLA.ISO,
            ins: INS.READ_RECORD,
            p1: record,
            p2: readRecordBySfi(sfi),
            le: 256,
          }),
          `reading SFI ${sfi} record ${record}`,
        );
        collect(parseBerTlv(bytes), tags);
        if (record - first < odaCount) odaRecords.push({ sfi, record: bytes });
      }
    }
    const pan = tags.get(0x5a);
    if (!pan) throw new ProtocolError('PAN_MISSING', 'the debit application records carry no PAN (5A)');
    return {
      aid,
      aip,
      pan: panOf(pan),
      tags,
      staticData: staticDataToAuthenticate(odaRecords, tags.get(0x9f4a), aip),
      supportsSda: (aip[0]! & 0x40) !== 0,
      supportsDda: (aip[0]! & 0x20) !== 0,
    };
  }
  return undefined;
}

/**
 * INTERNAL AUTHENTICATE for DDA: the DDOL (default 9F37 04, the unpredictable number) filled with
 * fresh random bytes. Returns the signed dynamic application data (9F4B) and the DDOL data signed.
 */
export async function requestDynamicSignature(
  session: CardSession,
  data: DebitApplicationData,
): Promise<{ signedDynamicData: Buffer; ddolData: Buffer }> {
  const ddol = data.tags.get(0x9f49) ?? Buffer.from('9F3704', 'hex');
  const ddolData = Buffer.concat(
    parseDol(ddol).map(({ tag, length }) => (tag === 0x9f37 ? randomBytes(length) : Buffer.alloc(length))),
  );
  const res = await session.transmit({
    cla: CLA.ISO,
    ins: INS.INTERNAL_AUTHENTICATE,
    p1: 0x00,
    p2: 0x00,
    data: ddolData,
    le: 256,
  });
  if (res.sw !== 0x9000) throw new CardError(res.sw, 'INTERNAL AUTHENTICATE (DDA)');
  const [template] = parseBerTlv(res.data);
  const signedDynamicData =
    template?.tag === 0x80 ? template.value : template ? findTlv([template], 0x9f4b)?.value : undefined;
  if (!signedDynamicData)
    throw new ProtocolError('SDAD_MISSING', 'INTERNAL AUTHENTICATE answered without signed dynamic data');
  return { signedDynamicData, ddolData };
}

/** Cryptogram information data (9F27) types: AAC, TC, ARQC. */
export const CRYPTOGRAM_TYPE = { aac: 0x00, tc: 0x40, arqc: 0x80 } as const;

/** The CDOL1 data in PBOC order (9F02 9F03 9F1A 95 5F2A 9A 9C 9F37): China and CNY, a fresh unpredictable number. */
function cdol1Of(amount: number, transactionType: number, now: Date): Buffer {
  const chinaDay = new Date(now.getTime() + 8 * 3_600_000).toISOString().slice(2, 10).replace(/-/g, '');
  return Buffer.concat([
    Buffer.from(String(amount).padStart(12, '0'), 'hex'),
    Buffer.alloc(6),
    Buffer.from('0156', 'hex'),
    Buffer.alloc(5),
    Buffer.from('0156', 'hex'),
    Buffer.from(chinaDay, 'hex'),
    Buffer.from([transactionType]),
    randomBytes(4),
  ]);
}

/** The CDOL1 data of a cash withdrawal: the amount in fen as BCD, transaction type 01 (cash). */
export function cashWithdrawalCdol1(amount: number, now: Date): Buffer {
  if (!Number.isSafeInteger(amount) || amount < 1 || amount > 999_999_999_999) {
    throw new ProtocolError('AMOUNT_INVALID', 'a withdrawal amount is 1 to 999999999999 fen');
  }
  return cdol1Of(amount, 0x01, now);
}

/** The CDOL1 data of a balance enquiry: amount 0, transaction type 31. */
export function balanceEnquiryCdol1(now: Date): Buffer {
  return cdol1Of(0, 0x31, now);
}

export interface ApplicationCryptogram {
  /** 9F27: which cryptogram the card gave (CRYPTOGRAM_TYPE). */
  type: number;
  atc: Buffer;
  cryptogram: Buffer;
  iad: Buffer;
}

/** GENERATE AC (`80 AE P1 00`) asking for `type` over `data`; the answer in format 1 or 2. */
export async function generateAc(
  session: CardSession,
  type: number,
  data: Buffer,
): Promise<ApplicationCryptogram> {
  const res = requireSuccess(
    await session.transmit({ cla: CLA.PROPRIETARY, ins: INS.GENERATE_AC, p1: type, p2: 0x00, data, le: 256 }),
    'GENERATE AC',
  );
  const [template] = parseBerTlv(res);
  if (template?.tag === 0x80 && template.value.length >= 11) {
    return {
      type: template.value[0]!,
      atc: template.value.subarray(1, 3),
      cryptogram: template.value.subarray(3, 11),
      iad: template.value.subarray(11),
    };
  }
  const field = (tag: number) => (template ? findTlv([template], tag)?.value : undefined);
  const cid = field(0x9f27);
  const atc = field(0x9f36);
  const cryptogram = field(0x9f26);
  const iad = field(0x9f10);
  if (cid?.length !== 1 || atc?.length !== 2 || cryptogram?.length !== 8 || !iad) {
    throw new ProtocolError('GENERATE_AC_RESPONSE', 'GENERATE AC answered without 9F27, 9F36, 9F26 and 9F10');
  }
  return { type: cid[0]! & 0xc0, atc, cryptogram, iad };
}

/** EXTERNAL AUTHENTICATE with the issuer's ARPC and ARC (issuer authentication): true when the card accepts it. */
export async function issuerAuthenticate(session: CardSession, arpc: Buffer, arc: Buffer): Promise<boolean> {
  const res = await session.transmit({
    cla: CLA.ISO,
    ins: INS.EXTERNAL_AUTHENTICATE,
    p1: 0x00,
    p2: 0x00,
    data: Buffer.concat([arpc, arc]),
  });
  if (res.sw === 0x9000) return true;
  if (res.sw === 0x6300) return false;
  throw new CardError(res.sw, 'EXTERNAL AUTHENTICATE (issuer authentication)');
}
