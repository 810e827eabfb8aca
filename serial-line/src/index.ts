export { hangupAwareBinding, LineHungUpError } from './hangup-aware-binding.js';
export { closeSerialPort, type LineSettings, openSerialPort, type SerialPort } from './serial-port.js';
