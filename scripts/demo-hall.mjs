// The demo service hall's counters as `npm start` sets them up: which terminals stand at which
// readers, and the registry's data they need to move money (a hospital with its catalogue and this
// year's settlement policy, money in the demo holders' personal accounts, a pensioner whose pension
// the monthly run pays into the card account, the bank account of that card with a bank PIN). All
// of it goes through card-service's operator API with the admin token, as a bureau's set-up would.
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { encipherPinBlock } from '@sscard/card-core';

/** The hall's terminals; `reader` is the vpcd reader entry (local-stack's naming) of its card slot. */
export const TERMINALS = {
  kiosk: {
    id: 'KIOSK-330300-0001',
    type: 'kiosk',
    region: '330300',
    number: '330300000001',
    deviceNumber: 'DEMO0001',
  },
  desk: {
    id: 'DESK-330300-0001',
    type: 'hospital',
    region: '330300',
    number: '330300000002',
    deviceNumber: 'DEMO0002',
  },
  bank: {
    id: 'BANK-330300-0001',
    type: 'bank',
    region: '330300',
    number: '330300000003',
    deviceNumber: 'DEMO0003',
  },
  bureau: {
    id: 'BUREAU-330300-0001',
    type: 'bureau',
    region: '330300',
    number: '330300000004',
    deviceNumber: 'DEMO0004',
  },
};

/** The demo's counter clerk at the bureau: an operator whose token may authorise PIN unblock and reset. */
export const DEMO_CLERK = { name: '窗口 1 经办人', scopes: 'pin:authorise' };

/** The hospital the desk settles for. */
export const HOSPITAL = { institutionId: 'H330300-0001', name: '市第二人民医院', region: '330300', level: 2 };

/** The bank PIN the demo pensioner chose when the bank issued the card's debit application. */
export const DEMO_BANK_PIN = '802316';

/** The demo pensioner's monthly pension, in fen. */
const MONTHLY_PENSION = 386_000;
/** What the demo holders' personal medical accounts hold at the first start, in fen. */
const ACCOUNT_OPENING = 50_000;

/** Names for the example bills' items (card-service/docs/settlement-examples), as a catalogue lists them. */
const ITEM_NAMES = {
  XA01: '血常规检查',
  FB02: '彩色多普勒超声检查',
  MB03: '头孢克肟片',
  XC04: '进口一次性输液器',
  BED01: '普通病房床位费',
  OP330: '腹腔镜阑尾切除术',
  MB900: '一次性腔镜吻合器',
  XC120: '单人病房加床费',
};

/**
 * The demo cards' places: the pensioner (past retirement age, with a debit application) at the
 * bank counter, another card with a debit application at the desk, the first card at the kiosk.
 */
export function demoCardPlaces(documents) {
  const born = (d) => Number(d.holder.birthDate.slice(0, 4));
  const pensioner = documents.find((d) => d.applications.debit && born(d) < 1966);
  const kiosk = documents[0];
  const desk = documents.find((d) => d !== kiosk && d !== pensioner) ?? kiosk;
  return { kiosk, desk, bank: pensioner };
}

/** This month in China time (`YYYY-MM`), where pension months and policy years are counted. */
function chinaMonth(now = new Date()) {
  return new Date(now.getTime() + 8 * 3_600_000).toISOString().slice(0, 7);
}

/** card-service's operator API as the holder of the admin token, over its own CA. */
export function operatorApi({ url, caCertPath, adminTokenPath }) {
  const ca = readFileSync(caCertPath);
  const token = readFileSync(adminTokenPath, 'utf8').trim();
  const call = (method, path, body) =>
    new Promise((resolve, reject) => {
      const req = request(
        new URL(path, url),
        {
          method,
          ca,
          headers: {
            authorization: `Bearer ${token}`,
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
        },
        (res) => {
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : {} });
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body === undefined ? undefined : JSON.stringify(body));
    });
  /** The answer's body when its status is one of `ok`, else an error naming the call and the problem. */
  const expect = async (method, path, body, ok = [200, 201]) => {
    const answer = await call(method, path, body);
    if (!ok.includes(answer.status)) {
      throw new Error(`${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
    }
    return answer.body;
  };
  return { call, expect };
}

const examples = new URL('../card-service/docs/settlement-examples/', import.meta.url);
const exampleJson = (name) => JSON.parse(readFileSync(new URL(name, examples), 'utf8'));

/**
 * The example policy (card-service/docs/settlement.md) in force for the employees' scheme of every
 * region a demo card is insured in, for this year and the next: a settlement needs a policy of its
 * own year, and a hall left running over New Year's Eve goes on settling. Run at every start, so
 * that a demo registry started again in a later year has that year's policy too.
 */
export async function publishDemoPolicies(api, regions, now = new Date()) {
  const year = Number(chinaMonth(now).slice(0, 4));
  const published = [];
  for (const region of regions) {
    const { policies = [] } = await api.expect('GET', `/v1/settlement/policies?region=${region}`);
    for (const y of [year, year + 1]) {
      if (policies.some((p) => p.scheme === '310' && p.year === y)) continue;
      await api.expect('POST', '/v1/settlement/policies', {
        ...exampleJson('policy-330300-310-2026.json'),
        region,
        year: y,
        effectiveFrom: `${y}-01-01`,
      });
      published.push(`${region}/310/${y}`);
    }
  }
  return published;
}

/** The person number of a card's holder. */
async function personOf(api, cardNumber) {
  const { holders } = await api.expect('GET', `/v1/holders?q=${encodeURIComponent(cardNumber)}`);
  const holder = holders.find((h) => h.cards?.some((c) => c.cardNumber === cardNumber)) ?? holders[0];
  if (!holder) throw new Error(`no holder of card ${cardNumber} in the registry`);
  return holder.personNo;
}

/**
 * The counters' data, once (the caller keeps a marker): the desk's hospital with the example
 * items in its region's catalogue and the desk assigned to it, money in every demo holder's
 * personal account, and the pensioner's entitlement from this month with the bank account of the
 * card's debit application, its bank PIN passed on by the "issuing bank" under the zone PIN key.
 */
export async function seedCounters(api, { documents, pensioner, zonePinKey, deskTerminalId }) {
  const items = [
    ...exampleJson('outpatient-bill.json').lines,
    ...exampleJson('inpatient-bill.json').lines,
  ].map((l) => ({
    itemCode: l.itemCode,
    name: ITEM_NAMES[l.itemCode] ?? l.itemCode,
    itemClass: l.itemClass,
    preSelfPayShare: l.preSelfPayShare,
    priceCeiling: l.priceCeiling,
  }));
  await api.expect('POST', '/v1/settlement/catalogue', { region: HOSPITAL.region, items });
  const hospital = await api.call('POST', '/v1/settlement/institutions', HOSPITAL);
  if (hospital.status !== 201 && hospital.body.code !== 'INSTITUTION_EXISTS') {
    throw new Error(`POST /v1/settlement/institutions: ${hospital.status} ${JSON.stringify(hospital.body)}`);
  }
  await api.expect('POST', `/v1/settlement/institutions/${HOSPITAL.institutionId}/terminals`, {
    terminalId: deskTerminalId,
  });
  for (const doc of documents) {
    const personNo = await personOf(api, doc.card.cardNumber);
    // Once per reference: a second seeding credits nothing.
    await api.expect('POST', `/v1/holders/${personNo}/account-credits`, {
      amount: ACCOUNT_OPENING,
      reference: `demo-opening-${personNo}`,
    });
  }

  const personNo = await personOf(api, pensioner.card.cardNumber);
  const granted = await api.call('POST', '/v1/pensions/entitlements', {
    personNo,
    monthlyAmount: MONTHLY_PENSION,
    firstMonth: chinaMonth(),
    payingRegion: pensioner.card.cardIdCode.slice(0, 6),
  });
  if (granted.status !== 201 && granted.status !== 409) {
    throw new Error(`POST /v1/pensions/entitlements: ${granted.status} ${JSON.stringify(granted.body)}`);
  }
  const { pan, psn } = pensioner.applications.debit;
  const pinBlock = encipherPinBlock(0, zonePinKey, DEMO_BANK_PIN, pan).toString('hex').toUpperCase();
  await api.expect('POST', '/v1/pensions/debit-accounts', {
    cardNumber: pensioner.card.cardNumber,
    pan,
    psn: psn ?? '01',
    pinBlock,
  });
}

/**
 * This month's pension run, at every start: the first start pays the pensioner's first month, a
 * start in a later month pays that month (a run already complete pays nothing again).
 */
export async function runThisMonthsPensions(api, timeoutMs = 60_000) {
  const month = chinaMonth();
  await api.expect('POST', '/v1/pensions/runs', { month }, [202]);
  const until = Date.now() + timeoutMs;
  for (;;) {
    const { runs } = await api.expect('GET', `/v1/pensions/runs?month=${month}`);
    if (runs.every((r) => r.completedAt !== null)) return { month, runs };
    if (Date.now() > until) throw new Error(`the pension run of ${month} did not complete in time`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Where a terminal agent keeps its files under the hall's data directory. */
export function agentDir(dataDir, counter) {
  // The kiosk's files stay at the top, where the `sscard` CLI looks by default.
  return counter === 'kiosk' ? dataDir : join(dataDir, counter);
}
