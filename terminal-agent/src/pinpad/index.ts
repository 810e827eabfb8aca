export {
  isPinEntryError,
  PIN_ENTRY_FAILURES,
  type PinEntryFailure,
  PinEntryError,
  PinPadError,
  type PinPadErrorCode,
} from './errors.js';
export {
  type HidDeviceHandle,
  type HidDeviceInfo,
  HidPinPadTransport,
  matchingHidDevices,
} from './hid-transport.js';
export { KeypadPinPad } from './keypad.js';
export { openPinPad } from './open-pin-pad.js';
export { pinDigitsFromBlock } from './pin-block-digits.js';
export type { PinPad, PinPadEvents, PinRequest } from './pin-pad.js';
export { ProfilePinPad } from './profile-pin-pad.js';
export { SerialPinPadTransport } from './serial-transport.js';
export type { PinPadTransport, PinPadTransportEvents } from './transport.js';
