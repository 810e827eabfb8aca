/** The registry's records as the API and the domain modules see them. Dates are `YYYY-MM-DD`. */

export type { CardAlgorithm, CardStatus, Gender, RelationStatus } from '@sscard/registry-protocol';
import type { CardAlgorithm, CardStatus, Gender, RelationStatus } from '@sscard/registry-protocol';

export interface Holder {
  /** The person number (个人编号): opaque, assigned by the registry or the importing bureau. */
  personNo: string;
  /** Citizen ID number, which is also the social security number on the card. */
  idNumber: string;
  name: string;
  gender: Gender;
  /** GB 3304 ethnicity code, two digits (`01` Han). */
  ethnicity: string;
  birthDate: string;
  /** Region code of the birthplace (card record 0C). */
  birthplace: string;
  /** Region code where the holder is registered. */
  region: string;
  createdAt: string;
  updatedAt: string;
}

/**
 * Well-known insurance scheme codes (险种): 110 employee basic pension, 120 urban and rural
 * resident pension, 210 unemployment, 310 employee basic medical, 390 resident basic medical,
 * 410 work injury, 510 maternity. Other three-digit codes are accepted as given.
 */
export const SCHEME_NAMES: Readonly<Record<string, string>> = {
  '110': 'employee basic pension',
  '120': 'urban and rural resident pension',
  '210': 'unemployment insurance',
  '310': 'employee basic medical insurance',
  '390': 'resident basic medical insurance',
  '410': 'work injury insurance',
  '510': 'maternity insurance',
};

export interface InsuranceRelation {
  relationId: string;
  personNo: string;
  schemeCode: string;
  insuredRegion: string;
  status: RelationStatus;
  startDate: string;
  pauseDate: string | null;
  /** The card that carries the relation; moves to the new card when a card is replaced. */
  cardNumber: string | null;
}

export interface Card {
  cardNumber: string;
  cardIdCode: string;
  personNo: string;
  /** `2.00` or `3.00`: the card generation. */
  specVersion: string;
  cardType: string;
  algorithm: CardAlgorithm;
  issuingRegion: string;
  initOrg: string;
  issueDate: string;
  expiryDate: string;
  status: CardStatus;
  socialSecurityActive: boolean;
  financialActive: boolean;
  /** A temporary card (临时卡): `expiryDate` is its own, short validity. */
  temporary: boolean;
  /** While temporarily lost: the instant the loss lifts itself. */
  temporaryLossUntil: string | null;
  replaces: string | null;
  replacedBy: string | null;
  statusChangedAt: string;
  createdAt: string;
}

export interface HistoryEntry {
  id: number;
  entity: 'holder' | 'card' | 'relation';
  entityId: string;
  action: string;
  changes: Record<string, unknown>;
  actor: string;
  at: string;
}
