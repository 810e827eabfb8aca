import type { ProfileSet } from '@sscard/firmware-profiles';
import type { AgentConfig } from '../config/schema.js';
import { PinPadError } from './errors.js';
import { HidPinPadTransport } from './hid-transport.js';
import { KeypadPinPad } from './keypad.js';
import type { PinPad } from './pin-pad.js';
import { ProfilePinPad } from './profile-pin-pad.js';
import { SerialPinPadTransport } from './serial-transport.js';

/**
 * The PIN entry device the configuration asks for: the hardware PIN pad of the named profile
 * (serial or HID, as the profile says), the on-screen keypad, or none.
 */
export async function openPinPad(pin: AgentConfig['pin'], profiles: ProfileSet): Promise<PinPad | undefined> {
  if (pin.entry === 'none') return undefined;
  if (pin.entry === 'keypad') return new KeypadPinPad();
  const settings = pin.pinpad;
  if (!settings) throw new PinPadError('PINPAD_UNAVAILABLE', 'pin.pinpad is not configured');
  const profile = profiles.pinPad(settings.profile);
  if (profile.transport.kind === 'serial') {
    if (!settings.path) {
      throw new PinPadError(
        'PINPAD_UNAVAILABLE',
        `PIN pad profile ${profile.id} is serial: set pin.pinpad.path`,
      );
    }
    const transport = await SerialPinPadTransport.open(
      settings.path,
      profile.transport.line,
      profile.transport.framing,
      settings.baudRate,
    );
    return new ProfilePinPad(profile, transport);
  }
  return new ProfilePinPad(profile, await HidPinPadTransport.open(profile.transport, settings.path));
}
