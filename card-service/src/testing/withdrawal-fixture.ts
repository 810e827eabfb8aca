import {
  arqcInputData,
  computeArpc,
  computeArqc,
  deriveSessionKey,
  deriveUdk,
  encipherPinBlock,
} from '@sscard/card-core';
import { terminalPinKey } from '../hsm/hsm-core.js';
import { hsmPaths } from '../hsm/hsm-paths.js';
import { openKeyFile, readMasterKey } from '../hsm/key-file.js';

/** The HSM's PIN keys, read from its key file the way the key-loading facility reads them. */
export interface BankPinKeys {
  zoneKey: Buffer;
  terminalMasterKey: Buffer;
}

export async function bankPinKeys(hsm: { dir: string; masterKeyPath: string }): Promise<BankPinKeys> {
  const keyset = await openKeyFile(hsmPaths(hsm.dir).keyFile, await readMasterKey(hsm.masterKeyPath));
  return {
    zoneKey: Buffer.from(keyset.pin.zoneKey, 'hex'),
    terminalMasterKey: Buffer.from(keyset.pin.terminalMasterKey, 'hex'),
  };
}

/** A bank PIN as the issuer passes it on: format 0 under the zone PIN key. */
export function zonePinBlock(keys: BankPinKeys, pin: string, pan: string): string {
  return encipherPinBlock(0, keys.zoneKey, pin, pan).toString('hex').toUpperCase();
}

/** A bank PIN as the PIN pad of `terminalId` enciphers it: the withdrawal's `pinFormat` and `pinBlock`. */
export function padPinBlock(
  keys: BankPinKeys,
  terminalId: string,
  pin: string,
  pan: string,
  format: 0 | 4 = 0,
): { pinFormat: 0 | 4; pinBlock: string } {
  const tpk = terminalPinKey(keys.terminalMasterKey, terminalId, format);
  return {
    pinFormat: format,
    pinBlock: encipherPinBlock(format, tpk, pin, pan).toString('hex').toUpperCase(),
  };
}

/** The card's side of the debit application: the CDOL1 data and the ARQC a card with this key makes. */
export function cardCryptogram(
  acMasterKey: Buffer,
  algorithm: '3des' | 'sm4',
  pan: string,
  atc: number,
  amount: number,
  arqcOf = computeArqc,
  /** 9C: 01 a cash withdrawal, 31 a balance enquiry. */
  transactionType = 0x01,
) {
  const cdol1 = Buffer.concat([
    Buffer.from(String(amount).padStart(12, '0'), 'hex'),
    Buffer.alloc(6),
    Buffer.from('0156', 'hex'),
    Buffer.alloc(5),
    Buffer.from('0156', 'hex'),
    Buffer.from('270115', 'hex'),
    Buffer.from([transactionType]),
    Buffer.from('A1B2C3D4', 'hex'),
  ]);
  const aip = Buffer.from('7C00', 'hex');
  const atcBytes = Buffer.from(atc.toString(16).padStart(4, '0'), 'hex');
  const iad = Buffer.from(`07010103A00000${algorithm === '3des' ? '01' : '04'}`, 'hex');
  const data = arqcInputData({
    amountAuthorised: cdol1.subarray(0, 6),
    amountOther: cdol1.subarray(6, 12),
    terminalCountryCode: cdol1.subarray(12, 14),
    tvr: cdol1.subarray(14, 19),
    transactionCurrencyCode: cdol1.subarray(19, 21),
    transactionDate: cdol1.subarray(21, 24),
    transactionType: cdol1.subarray(24, 25),
    unpredictableNumber: cdol1.subarray(25, 29),
    aip,
    atc: atcBytes,
    iad,
  });
  const sk = deriveSessionKey(algorithm, deriveUdk(algorithm, acMasterKey, pan, '01'), atc);
  const arqc = arqcOf(algorithm, sk, data);
  const hex = (b: Buffer) => b.toString('hex').toUpperCase();
  /** The second GENERATE AC's TC or AAC as the card makes it: the same data, its CVR saying which. */
  const secondAc = (type: 'tc' | 'aac') => {
    const secondIad = Buffer.from(iad);
    secondIad[4] = ((type === 'tc' ? 0b01 : 0b00) << 6) | (0b10 << 4);
    const secondData = arqcInputData({
      amountAuthorised: cdol1.subarray(0, 6),
      amountOther: cdol1.subarray(6, 12),
      terminalCountryCode: cdol1.subarray(12, 14),
      tvr: cdol1.subarray(14, 19),
      transactionCurrencyCode: cdol1.subarray(19, 21),
      transactionDate: cdol1.subarray(21, 24),
      transactionType: cdol1.subarray(24, 25),
      unpredictableNumber: cdol1.subarray(25, 29),
      aip,
      atc: atcBytes,
      iad: secondIad,
    });
    return { cryptogram: hex(computeArqc(algorithm, sk, secondData)), iad: hex(secondIad) };
  };
  return {
    body: {
      pan,
      psn: '01',
      amount,
      cdol1: hex(cdol1),
      aip: hex(aip),
      atc: hex(atcBytes),
      iad: hex(iad),
      arqc: hex(arqc),
    },
    arpcFor: (arc: string) => hex(computeArpc(algorithm, sk, arqc, Buffer.from(arc, 'latin1'))),
    secondAc,
  };
}
