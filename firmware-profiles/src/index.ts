export { type AtrPattern, atrMatches, atrSpecificity } from './atr-pattern.js';
export { bcc, CRC16_NAMES, CRC16_VARIANTS, type Crc16Name, type Crc16Variant, crc16 } from './checksum.js';
export { ProfileError } from './errors.js';
export { decodeHidReport, encodeHidReport } from './hid-report.js';
export {
  DEFAULT_PROFILES_DIR,
  defaultProfiles,
  loadProfiles,
  matchCardOs,
  PROFILE_KINDS,
  parseProfileFile,
} from './loader.js';
export { bcdPinBlock, encodePinBlock, iso9564Format0, iso9564Format1 } from './pin-block.js';
export { ProfileSet, type Profiles, type ReaderMatch } from './profile-set.js';
export type { CardOsProfile, PsamCardOsProfile, SsseCardOsProfile } from './schema/card-os.js';
export type { Framing, NamedCode, SerialLine } from './schema/common.js';
export type { PcscReaderProfile, SlotRole } from './schema/pcsc-reader.js';
export type { PinBlockFormat, PinPadProfile } from './schema/pin-pad.js';
export type { SerialReaderProfile } from './schema/serial-reader.js';
export {
  type DecodeEvent,
  encodeFrame,
  type Frame,
  FrameDecoder,
  type FramingErrorKind,
} from './serial-framing.js';
