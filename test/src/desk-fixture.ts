import {
  exampleCatalogueItems,
  currentPolicyYears,
  exampleLines,
  examplePolicyFor,
} from '@sscard/card-service/testing/settlement-fixture';
import { type RegistryUnderTest, type SeededCard, citizenId, seedActiveCard } from './registry-fixture.js';

/**
 * The settlement world of the desk tests on a real card-service: the example policy of
 * card-service/docs/settlement.md published for 330300, the example bills' items in its
 * catalogue, a level 2 hospital, and insured cards with money in their personal accounts.
 */

export const INSTITUTION = 'H330300-2';

export async function setUpDeskWorld(registry: RegistryUnderTest): Promise<void> {
  const ok = (what: string, answer: { status: number; body: unknown }, status = 200) => {
    if (answer.status !== status) throw new Error(`${what}: ${answer.status} ${JSON.stringify(answer.body)}`);
  };
  // The desks settle on the system clock: the example policy as this year's (and the next's, for
  // a run that crosses New Year).
  for (const year of currentPolicyYears()) {
    ok('policy', await registry.operator('POST', '/v1/settlement/policies', examplePolicyFor(year)), 201);
  }
  const items = exampleCatalogueItems();
  ok('catalogue', await registry.operator('POST', '/v1/settlement/catalogue', { region: '330300', items }));
  ok(
    'institution',
    await registry.operator('POST', '/v1/settlement/institutions', {
      institutionId: INSTITUTION,
      name: 'City Hospital',
      region: '330300',
      level: 2,
    }),
    201,
  );
}

/** Assigns an enrolled desk to the hospital. */
export async function assignDesk(registry: RegistryUnderTest, terminalId: string): Promise<void> {
  const answer = await registry.operator('POST', `/v1/settlement/institutions/${INSTITUTION}/terminals`, {
    terminalId,
  });
  if (answer.status !== 200) throw new Error(`assign ${terminalId}: ${JSON.stringify(answer.body)}`);
}

/** An example bill's lines as a desk sends them (item, price, quantity; the service prices the rest). */
export function deskBill(name: 'outpatient-bill.json' | 'inpatient-bill.json') {
  return exampleLines(name).map((l, i) => ({
    lineNo: i + 1,
    itemCode: l.itemCode,
    unitPrice: l.unitPrice,
    quantity: l.quantity,
  }));
}

let sequence = 400;

/** An active card of an employee insured in 330300, with `account` fen in the personal account. */
export async function insuredCard(registry: RegistryUnderTest, account: number): Promise<SeededCard> {
  const card = await seedActiveCard(registry, {
    idNumber: citizenId('19640812', String(sequence++)),
    name: '陈建国',
  });
  if (account === 0) return card;
  const credited = await registry.operator('POST', `/v1/holders/${card.personNo}/account-credits`, {
    amount: account,
    reference: `payroll-${card.personNo}`,
  });
  if (credited.status !== 200) throw new Error(`account credit: ${JSON.stringify(credited.body)}`);
  return card;
}

/** The service's own check of its ledger: every transaction balances, every balance equals its entries. */
export async function ledgerBalances(registry: RegistryUnderTest): Promise<boolean> {
  const answer = await registry.operator<{ ok: boolean; problem?: string }>(
    'GET',
    '/v1/settlement/ledger/verify',
  );
  if (answer.status !== 200 || !answer.body.ok) throw new Error(`ledger: ${JSON.stringify(answer.body)}`);
  return true;
}
