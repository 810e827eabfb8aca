import assert from 'node:assert/strict';
import type { IssuedCardData, TestService } from '@sscard/card-service/testing/api-fixture';
import type { Clock } from '@sscard/card-service/clock';
import { addPensioners } from '@sscard/card-service/testing/pension-fixture';
import {
  deskClient,
  exampleLines,
  insuredCard,
  setUpSettlementWorld,
} from '@sscard/card-service/testing/settlement-fixture';
import { runPensionMonth } from '@sscard/card-service/pension/monthly-run';

/** The service's day in the console tests: the example settlement policy is for 2026. */
export const CONSOLE_START = '2026-03-10T02:00:00.000Z';

/**
 * What the console's pages have to show, made the way it happens: hospital desks settle bills
 * with card-present proofs (one holder twice, past a limit of one a day, which raises a risk
 * alert), a kiosk checks identities (one of them with a wrong name), pensioners are paid by the
 * monthly run; then an operator has the statistics rolled up.
 */
export interface SeededService {
  cards: IssuedCardData[];
  kioskIdentity: { key: string; cert: string };
}

export async function seedConsoleService(api: TestService, clock: Clock): Promise<SeededService> {
  const world = await setUpSettlementWorld(api);
  const cards = [await insuredCard(api), await insuredCard(api)];
  const desk = deskClient(api, world.h2a, 'desk-2a');
  for (const [c, bill] of [
    [cards[0]!, 'outpatient-bill.json'],
    [cards[0]!, 'outpatient-bill.json'],
    [cards[1]!, 'inpatient-bill.json'],
  ] as const) {
    const visitType = bill.startsWith('inpatient') ? 'inpatient' : 'outpatient';
    const { quote } = await desk.quote(c, exampleLines(bill), { visitType });
    const settled = await desk.post('/v1/settlement/settle', {
      quoteId: quote.quoteId,
      proof: desk.quoteProof(c, quote),
    });
    assert.equal(settled.status, 200, JSON.stringify(settled.body));
  }
  for (const [c, name] of [
    [cards[0]!, cards[0]!.name],
    [cards[1]!, cards[1]!.name],
    [cards[1]!, '王小二'],
  ] as const) {
    const checked = await api.call('POST', '/v1/identity/check', {
      identity: world.kiosk,
      body: { cardIdCode: c.cardIdCode, cardNumber: c.cardNumber, ssn: c.ssn, name },
    });
    assert.equal(checked.status, 200, JSON.stringify(checked.body));
  }
  await addPensioners(api.service.store, clock, 4, {
    regions: ['330300', '330100'],
    firstMonths: ['2026-02', '2026-03'],
  });
  await runPensionMonth(api.service.store, clock, { month: '2026-03' });
  const rolled = await api.call('POST', '/v1/statistics/roll-up', { token: api.adminToken, body: {} });
  assert.equal(rolled.status, 200, JSON.stringify(rolled.body));
  return { cards, kioskIdentity: world.kiosk };
}
