/**
 * The keys of a PIN entry device by name: digits, the two correction keys, Enter and Cancel. A
 * hardware PIN pad's profile maps its key codes to these names, and the kiosk's on-screen keypad
 * sends the same names, so the terminal handles both alike.
 */
export const PIN_PAD_KEYS = [
  '0',
  '1',
  '2',
  '3',
  '4',
  '5',
  '6',
  '7',
  '8',
  '9',
  'back',
  'clear',
  'enter',
  'cancel',
] as const;
export type PinPadKey = (typeof PIN_PAD_KEYS)[number];

export function isPinPadKey(value: unknown): value is PinPadKey {
  return typeof value === 'string' && (PIN_PAD_KEYS as readonly string[]).includes(value);
}
