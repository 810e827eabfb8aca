import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { xor } from '../bytes.js';
import { CryptoError, ValidationError } from '../errors.js';
import { decrypt, encrypt } from './cipher.js';

/**
 * ISO 9564-1 PIN blocks: how an online PIN leaves a PIN pad and travels to the HSM that verifies or
 * translates it, never in clear.
 *
 *   Format 0 (two-key 3DES, 8 bytes): PIN field `0 N P…P F…F` XOR account field `0000` ‖ the 12
 *     rightmost PAN digits without the check digit; enciphered in one ECB block.
 *   Format 4 (AES-128, 16 bytes, ISO 9564-1:2017): PIN field `4 N P…P A…A` (8 bytes) ‖ 8 random
 *     bytes; PAN field `M` (PAN length − 12, 0 for shorter PANs left-padded to 12 digits) ‖ the PAN ‖
 *     `0…0`; C = E(K, E(K, PIN field) XOR PAN field). The random half makes every block of the same
 *     PIN different, and the PAN binds it to one account.
 */

export type PinBlockFormat = 0 | 4;

const PIN_DIGITS = /^\d{4,12}$/;
const PAN_DIGITS = /^\d{1,19}$/;

function checkPin(pin: string): void {
  if (!PIN_DIGITS.test(pin)) throw new ValidationError('PIN_FORMAT', 'a PIN has 4 to 12 digits');
}

function checkPan(pan: string, min: number): void {
  if (!PAN_DIGITS.test(pan) || pan.length < min) {
    throw new ValidationError('PAN_FORMAT', `a PAN here has ${min} to 19 digits`);
  }
}

/** The format 0 account field: 0000 and the 12 rightmost PAN digits excluding the check digit. */
function format0AccountField(pan: string): Buffer {
  checkPan(pan, 13);
  return Buffer.from(`0000${pan.slice(-13, -1)}`, 'hex');
}

/** The clear format 0 block (PIN field XOR account field), as the pad builds it before enciphering. */
export function format0ClearBlock(pin: string, pan: string): Buffer {
  checkPin(pin);
  const field = Buffer.from(`0${pin.length.toString(16)}${pin}`.padEnd(16, 'F'), 'hex');
  return xor(field, format0AccountField(pan));
}

/** The PIN of a clear format 0 block; a block that is not one (bad control, length or fill) is refused. */
export function pinFromFormat0ClearBlock(block: Uint8Array, pan: string): string {
  if (block.length !== 8) throw new CryptoError('PIN_BLOCK_LENGTH', 'a format 0 PIN block has 8 bytes');
  const field = xor(block, format0AccountField(pan)).toString('hex').toUpperCase();
  const length = Number.parseInt(field[1]!, 16);
  const pin = field.slice(2, 2 + length);
  if (
    field[0] !== '0' ||
    length < 4 ||
    length > 12 ||
    !/^\d+$/.test(pin) ||
    !/^F*$/.test(field.slice(2 + length))
  ) {
    throw new CryptoError('PIN_BLOCK_FORMAT', 'not a format 0 PIN block for this account');
  }
  return pin;
}

/** The format 4 plaintext PIN field: control 4, length, digits, fill A, then 8 random bytes. */
export function format4PinField(pin: string, random: Uint8Array = randomBytes(8)): Buffer {
  checkPin(pin);
  if (random.length !== 8) throw new CryptoError('PIN_BLOCK_RANDOM', 'the random half has 8 bytes');
  const head = Buffer.from(`4${pin.length.toString(16)}${pin}`.padEnd(16, 'A'), 'hex');
  return Buffer.concat([head, random]);
}

/** The format 4 PAN field: M (PAN length − 12), the PAN (at least 12 digits, zero-padded left), zero fill. */
export function format4PanField(pan: string): Buffer {
  checkPan(pan, 1);
  const digits = pan.padStart(12, '0');
  return Buffer.from(`${digits.length - 12}${digits}`.padEnd(32, '0'), 'hex');
}

function pinFromFormat4PinField(field: Uint8Array): string {
  const text = Buffer.from(field.subarray(0, 8)).toString('hex').toUpperCase();
  const length = Number.parseInt(text[1]!, 16);
  const pin = text.slice(2, 2 + length);
  if (
    text[0] !== '4' ||
    length < 4 ||
    length > 12 ||
    !/^\d+$/.test(pin) ||
    !/^A*$/.test(text.slice(2 + length))
  ) {
    throw new CryptoError('PIN_BLOCK_FORMAT', 'not a format 4 PIN block for this account under this key');
  }
  return pin;
}

function aes(forward: boolean, key: Uint8Array, block: Uint8Array): Buffer {
  if (key.length !== 16)
    throw new CryptoError('KEY_LENGTH', `a format 4 PIN key is AES-128 (16 bytes), not ${key.length}`);
  const cipher = forward
    ? createCipheriv('aes-128-ecb', key, null)
    : createDecipheriv('aes-128-ecb', key, null);
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(block), cipher.final()]);
}

/** Enciphers a PIN for one account under a PIN key (two-key 3DES for format 0, AES-128 for format 4). */
export function encipherPinBlock(format: PinBlockFormat, key: Uint8Array, pin: string, pan: string): Buffer {
  if (format === 0) return encrypt('3des', key, format0ClearBlock(pin, pan), { mode: 'ecb' });
  const panField = format4PanField(pan);
  return aes(true, key, xor(aes(true, key, format4PinField(pin)), panField));
}

/**
 * The PIN inside an enciphered PIN block. A block enciphered under another key or for another
 * account almost never decodes to a well-formed field; when it does not, `PIN_BLOCK_FORMAT`.
 */
export function decipherPinBlock(
  format: PinBlockFormat,
  key: Uint8Array,
  block: Uint8Array,
  pan: string,
): string {
  const size = format === 0 ? 8 : 16;
  if (block.length !== size) {
    throw new CryptoError(
      'PIN_BLOCK_LENGTH',
      `a format ${format} PIN block has ${size} bytes, not ${block.length}`,
    );
  }
  if (format === 0) return pinFromFormat0ClearBlock(decrypt('3des', key, block, { mode: 'ecb' }), pan);
  return pinFromFormat4PinField(aes(false, key, xor(aes(false, key, block), format4PanField(pan))));
}
