import { arqcInputData, computeArpc, computeArqc, deriveSessionKey, deriveUdk } from '@sscard/card-core';

/** The card's side of the debit application: the CDOL1 data and the ARQC a card with this key makes. */
export function cardCryptogram(
  acMasterKey: Buffer,
  algorithm: '3des' | 'sm4',
  pan: string,
  atc: number,
  amount: number,
  arqcOf = computeArqc,
) {
  const cdol1 = Buffer.concat([
    Buffer.from(String(amount).padStart(12, '0'), 'hex'),
    Buffer.alloc(6),
    Buffer.from('0156', 'hex'),
    Buffer.alloc(5),
    Buffer.from('0156', 'hex'),
    Buffer.from('270115', 'hex'),
    Buffer.from('01', 'hex'),
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
  };
}
