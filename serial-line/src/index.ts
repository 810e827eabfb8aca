export { hangupAwareBinding, LineHungUpError } from './hangup-aware-binding.js';
export {
  closeSerialPort,
  type LineSettings,
  openSerialPort,
  PortClosedError,
  type SerialPort,
  writeToPort,
} from './serial-port.js';
