export { DevicePort, type DevicePortEvents } from './device-port.js';
export { FrameReceiver, type FrameReceiverEvents, type ReceiveFailure } from './frame-receiver.js';
export { applyLineFault, LINE_FAULT_KINDS, type LineFaultKind } from './line-faults.js';
export {
  type EntryEnd,
  SerialPinPadFirmware,
  type SerialPinPadFirmwareEvents,
  type SerialPinPadFirmwareOptions,
} from './pinpad-firmware.js';
export {
  type CommandRecord,
  type ReaderCommandName,
  type ReaderStatusName,
  SerialReaderFirmware,
  type SerialReaderFirmwareEvents,
  type SerialReaderFirmwareOptions,
} from './reader-firmware.js';
