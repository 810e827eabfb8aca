import { z } from 'zod';
import { contracts } from './contracts.js';
import { idNumber, holderName, instant, isoDate, region } from './fields.js';
import { route } from './route.js';
import {
  CARD_ALGORITHMS,
  CARD_GENERATIONS,
  CARD_STATUSES,
  GENDERS,
  RELATION_STATUSES,
} from './vocabulary.js';

/** Card holders, their insurance relations and their cards: the registry an operator keeps. */

const personNo = z.string().regex(/^[A-Za-z0-9]{4,32}$/, '4 to 32 letters or digits');
const ethnicity = z.string().regex(/^[0-9]{2}$/, 'a two-digit code');

export const relationRequestSchema = z
  .strictObject({
    schemeCode: z.string().regex(/^[0-9]{3}$/, 'a three-digit scheme code'),
    insuredRegion: region,
    status: z.enum(RELATION_STATUSES).optional(),
    startDate: isoDate,
    pauseDate: isoDate.nullable().optional(),
  })
  .register(contracts, { id: 'RelationRequest' });
export type RelationRequest = z.input<typeof relationRequestSchema>;

export const holderRequestSchema = z
  .strictObject({
    personNo: personNo.optional(),
    idNumber,
    name: holderName,
    gender: z.enum(GENDERS).optional(),
    ethnicity,
    birthDate: isoDate.optional(),
    birthplace: region.optional(),
    region,
    relations: z.array(relationRequestSchema).max(20).optional(),
  })
  .register(contracts, { id: 'HolderRequest' });
export type HolderRequest = z.input<typeof holderRequestSchema>;

export const holderPatchSchema = z
  .strictObject({
    name: holderName.optional(),
    ethnicity: ethnicity.optional(),
    birthplace: region.optional(),
    region: region.optional(),
  })
  .register(contracts, { id: 'HolderPatch' });
export type HolderPatch = z.input<typeof holderPatchSchema>;

export const relationStatusRequestSchema = z
  .strictObject({
    status: z.enum(RELATION_STATUSES),
    /** The pause date, for `paused`. */
    date: isoDate.optional(),
  })
  .register(contracts, { id: 'RelationStatusRequest' });
export type RelationStatusRequest = z.input<typeof relationStatusRequestSchema>;

export const issueCardRequestSchema = z
  .strictObject({
    generation: z.union(CARD_GENERATIONS.map((g) => z.literal(g))),
    issuingRegion: region.optional(),
    cardType: z.string().length(1).optional(),
    temporary: z.boolean().optional(),
  })
  .register(contracts, { id: 'IssueCardRequest' });
export type IssueCardRequest = z.input<typeof issueCardRequestSchema>;

export const holderSchema = z
  .object({
    personNo: z.string(),
    idNumber: z.string(),
    name: z.string(),
    gender: z.enum(GENDERS),
    ethnicity: z.string(),
    birthDate: z.string(),
    birthplace: z.string(),
    region: z.string(),
    createdAt: instant,
    updatedAt: instant,
  })
  .register(contracts, { id: 'Holder' });
export type Holder = z.output<typeof holderSchema>;

export const relationSchema = z
  .object({
    relationId: z.string(),
    personNo: z.string(),
    schemeCode: z.string(),
    insuredRegion: z.string(),
    status: z.enum(RELATION_STATUSES),
    startDate: z.string(),
    pauseDate: z.string().nullable(),
    /** The card that carries the relation; moves to the new card when a card is replaced. */
    cardNumber: z.string().nullable(),
  })
  .register(contracts, { id: 'InsuranceRelation' });
export type InsuranceRelation = z.output<typeof relationSchema>;

export const cardSchema = z
  .object({
    cardNumber: z.string(),
    cardIdCode: z.string(),
    personNo: z.string(),
    specVersion: z.string(),
    cardType: z.string(),
    algorithm: z.enum(CARD_ALGORITHMS),
    issuingRegion: z.string(),
    initOrg: z.string(),
    issueDate: z.string(),
    expiryDate: z.string(),
    status: z.enum(CARD_STATUSES),
    socialSecurityActive: z.boolean(),
    financialActive: z.boolean(),
    temporary: z.boolean(),
    temporaryLossUntil: instant.nullable(),
    replaces: z.string().nullable(),
    replacedBy: z.string().nullable(),
    statusChangedAt: instant,
    createdAt: instant,
  })
  .register(contracts, { id: 'Card' });
export type Card = z.output<typeof cardSchema>;

/** What the personalisation bureau writes to the card, with the initial PIN (shown once, never stored). */
export const cardDocumentSchema = z
  .object({
    holder: z.object({
      ssn: z.string(),
      name: z.string(),
      nameExt: z.string().optional(),
      gender: z.enum(GENDERS),
      ethnicity: z.string(),
      birthplace: z.string(),
      birthDate: z.string(),
    }),
    card: z.object({
      cardIdCode: z.string(),
      cardType: z.string(),
      specVersion: z.enum(['2.00', '3.00']),
      initOrg: z.string(),
      issueDate: z.string(),
      expiryDate: z.string(),
      cardNumber: z.string(),
    }),
    pin: z.object({ value: z.string(), triesLeft: z.number().int() }),
    applications: z.object({ ssse: z.object({}) }),
  })
  .register(contracts, { id: 'CardDocument' });

export const issuedCardSchema = z
  .object({ card: cardSchema, document: cardDocumentSchema })
  .register(contracts, { id: 'IssuedCard' });

/**
 * A search of the registry by one exact key: a citizen ID number, a person number, a card number
 * or a full name. Operators who may change the registry (`registry:write`) see names and ID
 * numbers whole; those who may only read it see them masked.
 */
export const holderSearchQuery = z
  .strictObject({
    q: z.string().trim().min(1).max(40),
    limit: z.coerce.number().int().min(1).max(100).default(20),
  })
  .register(contracts, { id: 'HolderSearchQuery' });

export const holderFoundSchema = z
  .strictObject({
    personNo: z.string(),
    name: z.string(),
    idNumber: z.string(),
    region: z.string(),
    /** Whether name and ID number are masked for this operator. */
    masked: z.boolean(),
    cards: z.array(z.strictObject({ cardNumber: z.string(), status: z.enum(CARD_STATUSES) })),
  })
  .register(contracts, { id: 'HolderFound' });
export type HolderFound = z.output<typeof holderFoundSchema>;

export const holderSearchSchema = z
  .strictObject({ holders: z.array(holderFoundSchema) })
  .register(contracts, { id: 'HolderSearch' });

/**
 * A holder with relations and cards. As in a search, operators without `registry:write` see the
 * name and ID number masked, and the birth date with its year only.
 */
export const holderRecordSchema = z
  .object({
    holder: holderSchema,
    relations: z.array(relationSchema),
    cards: z.array(cardSchema),
    /** Whether name, ID number and birth date are masked for this operator. */
    masked: z.boolean(),
  })
  .register(contracts, { id: 'HolderRecord' });
export type HolderRecord = z.output<typeof holderRecordSchema>;

export const historyEntrySchema = z
  .object({
    id: z.number().int(),
    entity: z.enum(['holder', 'card', 'relation']),
    entityId: z.string(),
    action: z.string(),
    changes: z.record(z.string(), z.unknown()),
    actor: z.string(),
    at: instant,
  })
  .register(contracts, { id: 'HistoryEntry' });
export const historySchema = z
  .object({ history: z.array(historyEntrySchema) })
  .register(contracts, { id: 'History' });

/** A holder's history: the name, ID number and birth date in its changes masked as in the holder record. */
export const holderHistorySchema = z
  .object({
    history: z.array(historyEntrySchema),
    /** Whether name, ID number and birth date are masked for this operator. */
    masked: z.boolean(),
  })
  .register(contracts, { id: 'HolderHistory' });

export const holderRoutes = [
  route({
    operationId: 'createHolder',
    method: 'post',
    path: '/v1/holders',
    summary: 'Register a card holder with insurance relations',
    tag: 'operator',
    access: { scope: 'registry:write' },
    body: holderRequestSchema,
    responses: { 201: { description: 'the holder record', body: holderRecordSchema } },
  }),
  route({
    operationId: 'searchHolders',
    method: 'get',
    path: '/v1/holders',
    summary:
      'Find holders by ID number, person number, card number or full name (masked without registry:write)',
    tag: 'operator',
    access: { scope: 'registry:read' },
    query: holderSearchQuery,
    responses: { 200: { description: 'the holders found, with their cards', body: holderSearchSchema } },
  }),
  route({
    operationId: 'getHolder',
    method: 'get',
    path: '/v1/holders/:personNo',
    summary: 'A holder with insurance relations and cards (masked without registry:write)',
    tag: 'operator',
    access: { scope: 'registry:read' },
    responses: { 200: { description: 'the holder record', body: holderRecordSchema } },
  }),
  route({
    operationId: 'updateHolder',
    method: 'patch',
    path: '/v1/holders/:personNo',
    summary: "Change a holder's name, ethnicity, birthplace or region",
    tag: 'operator',
    access: { scope: 'registry:write' },
    body: holderPatchSchema,
    responses: { 200: { description: 'the holder after the change', body: holderSchema } },
  }),
  route({
    operationId: 'getHolderHistory',
    method: 'get',
    path: '/v1/holders/:personNo/history',
    summary: "The history of a holder's record (masked without registry:write)",
    tag: 'operator',
    access: { scope: 'registry:read' },
    responses: { 200: { description: 'history entries, oldest first', body: holderHistorySchema } },
  }),
  route({
    operationId: 'addRelation',
    method: 'post',
    path: '/v1/holders/:personNo/relations',
    summary: 'Add an insurance relation',
    tag: 'operator',
    access: { scope: 'registry:write' },
    body: relationRequestSchema,
    responses: { 201: { description: 'the relation', body: relationSchema } },
  }),
  route({
    operationId: 'setRelationStatus',
    method: 'post',
    path: '/v1/relations/:relationId/status',
    summary: 'Pause, resume or terminate an insurance relation',
    tag: 'operator',
    access: { scope: 'registry:write' },
    body: relationStatusRequestSchema,
    responses: { 200: { description: 'the relation after the change', body: relationSchema } },
  }),
  route({
    operationId: 'issueCard',
    method: 'post',
    path: '/v1/holders/:personNo/cards',
    summary: 'Issue a card (or a temporary card) and get its personalisation document',
    tag: 'operator',
    access: { scope: 'registry:write' },
    body: issueCardRequestSchema,
    responses: {
      201: {
        description: 'the card and its personalisation document (with the initial PIN, shown once)',
        body: issuedCardSchema,
      },
    },
  }),
] as const;
