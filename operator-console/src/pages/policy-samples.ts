import type { settlement } from '@sscard/registry-protocol';

/**
 * Sample bills a policy draft is quoted on before it is published: the bills and accumulators of
 * card-service's settlement examples (docs/settlement-examples), at three kinds of visit.
 */
/**
 * The outpatient example's bill and the accumulators it is quoted on; the outpatient samples differ
 * only in the hospital, the person's group and the account.
 */
function outpatientSample(
  name: string,
  hospitalLevel: settlement.PolicySample['terms']['hospitalLevel'],
  personGroup: settlement.PolicySample['terms']['personGroup'],
  account: settlement.PolicySample['account'],
): settlement.PolicySample {
  return {
    name,
    terms: { visitType: 'outpatient', hospitalLevel, personGroup },
    accumulators: {
      outpatientDeductiblePaid: 50000,
      pooledFundUsed: 1200000,
      largeExpenseDeductiblePaid: 0,
      largeExpenseFundUsed: 0,
    },
    lines: [
      {
        itemCode: 'XA01',
        itemClass: 'A',
        preSelfPayShare: 0,
        priceCeiling: 1000,
        unitPrice: 1250,
        quantity: 4,
      },
      {
        itemCode: 'FB02',
        itemClass: 'B',
        preSelfPayShare: 1500,
        priceCeiling: null,
        unitPrice: 33333,
        quantity: 1,
      },
      {
        itemCode: 'MB03',
        itemClass: 'B',
        preSelfPayShare: 2000,
        priceCeiling: 2400,
        unitPrice: 2599,
        quantity: 3,
      },
      {
        itemCode: 'XC04',
        itemClass: 'C',
        preSelfPayShare: 0,
        priceCeiling: null,
        unitPrice: 4580,
        quantity: 2,
      },
    ],
    account,
  };
}

export const POLICY_SAMPLES: settlement.PolicySample[] = [
  outpatientSample('门诊 二级医院 在职', 2, 'in_service', { balance: 50000, use: true }),
  outpatientSample('门诊 一级医院 退休', 1, 'retired', { balance: 0, use: false }),
  {
    name: '住院 三级医院 在职',
    terms: {
      visitType: 'inpatient',
      hospitalLevel: 3,
      personGroup: 'in_service',
    },
    accumulators: {
      outpatientDeductiblePaid: 0,
      pooledFundUsed: 19500000,
      largeExpenseDeductiblePaid: 200000,
      largeExpenseFundUsed: 0,
    },
    lines: [
      {
        itemCode: 'BED01',
        itemClass: 'A',
        preSelfPayShare: 0,
        priceCeiling: 10000,
        unitPrice: 12000,
        quantity: 10,
      },
      {
        itemCode: 'OP330',
        itemClass: 'A',
        preSelfPayShare: 0,
        priceCeiling: null,
        unitPrice: 1500000,
        quantity: 1,
      },
      {
        itemCode: 'MB900',
        itemClass: 'B',
        preSelfPayShare: 3000,
        priceCeiling: 600000,
        unitPrice: 800000,
        quantity: 1,
      },
      {
        itemCode: 'XC120',
        itemClass: 'C',
        preSelfPayShare: 0,
        priceCeiling: null,
        unitPrice: 35000,
        quantity: 1,
      },
    ],
    account: {
      balance: 100000,
      use: true,
    },
  },
];
