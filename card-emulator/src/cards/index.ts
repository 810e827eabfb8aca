export { type AlteredFields, type CardAlteration, createAlteredCard } from './altered-card.js';
export {
  type CardDocument,
  type CardDocumentInput,
  CardDocumentError,
  type DebitApplicationData,
  cardDocumentSchema,
  parseCardDocument,
} from './card-document.js';
export { CardMemoryError, CardMemoryStore, MemoryBackedCard } from './card-memory.js';
export { cardNumberCheckChar, isValidCardNumber } from '@sscard/card-core';
export type { CardApplication, CommandContext, Instruction } from './cos/application.js';
export { CardOs, type CardOsOptions } from './cos/card-os.js';
export { createCard } from './create-card.js';
export { DEBIT_AID, PPSE_NAME } from './debit/debit-data.js';
export {
  type CaPublicKeyHex,
  DEFAULT_KEYSET_PATH,
  type IssuerKeyset,
  type PublicKeyset,
  type RsaKeyHex,
  type SsseMasterKeys,
  generateKeyset,
  loadKeyset,
  parseKeyset,
  publicKeyset,
  saveKeyset,
} from './keyset.js';
export {
  type HolderRecord,
  type PersonaliseOptions,
  cardIdCodeFor,
  cardNumberFor,
  debitPanFor,
  demoCardDocuments,
  personalise,
} from './personalise.js';
export { Psam, type PsamOptions, createPsam } from './psam/psam.js';
export { SSSE_DF_FID } from './ssse/ssse-application.js';
export {
  type CardInterface,
  SsseCard,
  type SsseCardMemory,
  type SsseCardOptions,
  SsseGen2Card,
  SsseGen3Card,
} from './ssse/ssse-card.js';
export { generationOf, ssseAtrFor, ssseCardOs } from './ssse/ssse-os.js';
