import { makeCitizenId, parseCardIdCode } from '@sscard/card-core';
import { appendAudit } from './audit/audit-log.js';
import { chinaDate, systemClock } from './clock.js';
import { DomainError } from './errors.js';
import { type Actor, auditActor } from './registry/actor.js';
import type { Card, InsuranceRelation } from './registry/model.js';
import * as q from './registry/queries.js';
import { holderFromInput } from './registry/holders.js';
import { relationFromInput } from './registry/insurance-relations.js';
import { Registry } from './registry.js';
import { cardSubject } from './registry/subjects.js';
import { openStore } from './store/open-store.js';
import type { ServiceConfig } from './config.js';
import type { CardDocument } from './issuance/card-document.js';
import { isoDate } from './issuance/card-document.js';
import { seededRandom } from './seeded-random.js';

const SEEDER: Actor = { kind: 'system', id: 'seed' };

export interface SeedReport {
  holders: number;
  cards: number;
  /** Documents whose card was registered already. */
  skipped: number;
}

/**
 * Registers cards personalised elsewhere (the emulator's demo cards) with their holders, active,
 * so that the registry matches the virtual cards. Safe to run again: known cards are skipped.
 */
export async function seedFromCardDocuments(
  target: Registry | ServiceConfig,
  docs: readonly CardDocument[],
): Promise<SeedReport> {
  if (!(target instanceof Registry)) {
    const store = await openStore(target);
    try {
      return await seedFromCardDocuments(new Registry(store, systemClock, target.lifecycle), docs);
    } finally {
      await store.close();
    }
  }
  const registry = target;
  const report: SeedReport = { holders: 0, cards: 0, skipped: 0 };
  for (const doc of docs) {
    await registry.store.transaction(async (tx) => {
      const cardIdCode = doc.card.cardIdCode.toUpperCase();
      const id = parseCardIdCode(cardIdCode);
      if ((await q.getCard(tx, doc.card.cardNumber)) || (await q.getCardByIdCode(tx, cardIdCode))) {
        report.skipped++;
        return;
      }
      const now = registry.clock();
      let holder = await q.getHolderByIdNumber(tx, doc.holder.ssn);
      if (!holder) {
        holder = holderFromInput(
          {
            idNumber: doc.holder.ssn,
            name: doc.holder.name + (doc.holder.nameExt ?? ''),
            gender: doc.holder.gender,
            ethnicity: doc.holder.ethnicity.padStart(2, '0'),
            birthDate: isoDate(doc.holder.birthDate),
            birthplace: doc.holder.birthplace,
            region: id.region,
          },
          now,
        );
        await q.insertHolders(tx, [holder]);
        report.holders++;
      } else if (holder.name !== doc.holder.name + (doc.holder.nameExt ?? '')) {
        throw new DomainError(
          'SEED_CONFLICT',
          `card ${doc.card.cardNumber}: the SSN is registered under another name`,
          409,
        );
      }
      const at = now.toISOString();
      const card: Card = {
        cardNumber: doc.card.cardNumber,
        cardIdCode,
        personNo: holder.personNo,
        specVersion: doc.card.specVersion,
        cardType: doc.card.cardType,
        algorithm: doc.card.specVersion === '3.00' ? 'sm4' : '3des',
        issuingRegion: id.region,
        initOrg: doc.card.initOrg,
        issueDate: isoDate(doc.card.issueDate),
        expiryDate: isoDate(doc.card.expiryDate),
        status: 'active',
        socialSecurityActive: true,
        financialActive: false,
        temporary: false,
        temporaryLossUntil: null,
        replaces: null,
        replacedBy: null,
        statusChangedAt: at,
        createdAt: at,
      };
      await q.insertCard(tx, card);
      const relations = await q.listRelations(tx, holder.personNo);
      if (relations.length === 0) {
        const fresh: InsuranceRelation[] = ['310', '110'].map((schemeCode, i) => ({
          ...relationFromInput(holder.personNo, {
            schemeCode,
            insuredRegion: id.region,
            startDate: card.issueDate,
          }),
          cardNumber: card.cardNumber,
          relationId: `R${cardIdCode.slice(16)}${i}`,
        }));
        await q.insertRelations(tx, fresh);
      }
      await q.recordHistory(tx, {
        entity: 'card',
        entityId: card.cardNumber,
        action: 'seed',
        changes: { status: [null, 'active'], personNo: holder.personNo },
        actor: 'system:seed',
        at,
      });
      await appendAudit(tx, registry.clock, {
        ...auditActor(SEEDER),
        action: 'card.seed',
        subject: cardSubject(card.cardNumber),
        result: 'ok',
        details: { personNo: holder.personNo },
      });
      report.cards++;
    });
  }
  return report;
}

// Demo data: common surnames and given-name characters, and real region codes, so that screens
// and reports look like a bureau's. Generated people only: the ID numbers are made up.
const SURNAMES =
  '王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤欧阳';
const GIVEN =
  '伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂兰建华文辉玉珍红梅鹏飞晓东宇浩思雨欣怡佳琪子涵梓轩一诺俊杰浩然雅婷志强海燕春林秋菊国庆建国';
const REGIONS: ReadonlyArray<{ city: string; districts: string[] }> = [
  { city: '330300', districts: ['330302', '330303', '330304', '330381'] },
  { city: '330100', districts: ['330102', '330105', '330106', '330108'] },
  { city: '110100', districts: ['110101', '110102', '110105', '110108'] },
  { city: '310100', districts: ['310101', '310104', '310115'] },
  { city: '440100', districts: ['440103', '440104', '440106'] },
  { city: '510100', districts: ['510104', '510105', '510107'] },
  { city: '320200', districts: ['320205', '320206', '320211'] },
];
/** Ethnicity codes with a realistic mix: mostly Han (01), some Zhuang, Hui, Manchu, Uyghur, Miao. */
const ETHNICITIES = ['01', '01', '01', '01', '01', '01', '01', '01', '08', '03', '11', '05', '06'];

/** `count` demo holders, each with relations and an active card; existing ID numbers are skipped. */
export async function seedDemoHolders(
  registry: Registry,
  count: number,
  seed = 20250301,
): Promise<SeedReport> {
  const rand = seededRandom(seed);
  const pick = <T>(xs: ArrayLike<T>): T => xs[Math.floor(rand() * xs.length)]!;
  const report: SeedReport = { holders: 0, cards: 0, skipped: 0 };
  const today = chinaDate(registry.clock());
  for (let i = 0; i < count; i++) {
    const place = pick(REGIONS);
    const district = pick(place.districts);
    const year = 1940 + Math.floor(rand() * 66);
    const month = 1 + Math.floor(rand() * 12);
    const day = 1 + Math.floor(rand() * 28);
    const birth = `${year}${String(month).padStart(2, '0')}${String(day).padStart(2, '0')}`;
    const idNumber = makeCitizenId(district, birth, Math.floor(rand() * 1000));
    const surname = rand() < 0.01 ? '欧阳' : pick(SURNAMES.slice(0, -2));
    const name = surname + pick(GIVEN) + (rand() < 0.7 ? pick(GIVEN) : '');
    const ethnicity = pick(ETHNICITIES);
    const employed = year > 1965 && rand() < 0.6;
    const start = `${Math.max(year + 18, 1995)}-0${1 + Math.floor(rand() * 9)}-01`;
    const retired = year < 1963;
    const generation: 2 | 3 = rand() < 0.7 ? 3 : 2;
    if (await q.getHolderByIdNumber(registry.store, idNumber)) {
      report.skipped++;
      continue;
    }
    const holder = await registry.createHolder(
      { idNumber, name, ethnicity, region: place.city, birthplace: district },
      [
        {
          schemeCode: employed ? '310' : '390',
          insuredRegion: place.city,
          startDate: start < today ? start : today,
        },
        {
          schemeCode: employed || retired ? '110' : '120',
          insuredRegion: place.city,
          startDate: start < today ? start : today,
        },
      ],
      SEEDER,
    );
    report.holders++;
    const { card } = await registry.issueCard(holder.personNo, { generation }, SEEDER);
    await registry.applyCardEvent(card.cardNumber, 'activateSocialSecurity', {
      kind: 'operator',
      id: 'seed',
    });
    report.cards++;
  }
  return report;
}
