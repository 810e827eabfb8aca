import { EventEmitter } from 'node:events';
import { isSscardError, wipe } from '@sscard/card-core';
import { decodeHidReport, encodeHidReport, type Frame, type PinPadProfile } from '@sscard/firmware-profiles';
import { PinPadError } from './errors.js';
import type { PinPadTransport, PinPadTransportEvents } from './transport.js';

type HidTransportProfile = Extract<PinPadProfile['transport'], { kind: 'hid' }>;

/** The part of node-hid's `HIDAsync` this transport uses (so its protocol can be exercised without a device). */
export interface HidDeviceHandle {
  write(report: Buffer | number[]): Promise<number>;
  close(): Promise<void>;
  on(event: 'data', listener: (report: Buffer) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

/** What `HID.devices()` reports of one device. */
export interface HidDeviceInfo {
  vendorId: number;
  productId: number;
  path?: string | undefined;
  product?: string | undefined;
  serialNumber?: string | undefined;
}

/** The devices matching a HID PIN pad profile's vendor and product id. */
export function matchingHidDevices(
  transport: HidTransportProfile,
  devices: readonly HidDeviceInfo[],
): HidDeviceInfo[] {
  return devices.filter(
    (d) => d.vendorId === transport.vendorId && d.productId === transport.productId && d.path,
  );
}

/** A PIN pad on USB HID: fixed-size reports, one frame each (report layout in firmware-profiles). */
export class HidPinPadTransport extends EventEmitter<PinPadTransportEvents> implements PinPadTransport {
  readonly description: string;
  readonly #device: HidDeviceHandle;
  readonly #profile: HidTransportProfile;
  #closed = false;

  constructor(device: HidDeviceHandle, profile: HidTransportProfile, path: string) {
    super();
    this.description = `hid ${path}`;
    this.#device = device;
    this.#profile = profile;
    device.on('data', (report) => {
      try {
        this.emit('frame', decodeHidReport(profile.reportId, report));
      } catch (e) {
        if (!isSscardError(e)) throw e;
        this.emit(
          'error',
          new PinPadError('PINPAD_PROTOCOL', `bad report from ${this.description}: ${e.message}`),
        );
      } finally {
        wipe(report);
      }
    });
    // node-hid reports an unplugged device as a read error; there is no separate close event.
    device.on('error', () => {
      if (this.#closed) return;
      this.#closed = true;
      this.emit('close');
    });
  }

  /**
   * Opens the first device matching the profile (or the one at `path`), enumerating with
   * node-hid. The module is loaded only here, so that terminals without HID PIN pads never load
   * its native binding.
   */
  static async open(profile: HidTransportProfile, path?: string): Promise<HidPinPadTransport> {
    const hid = await import('node-hid');
    const candidates = matchingHidDevices(profile, await hid.devicesAsync());
    const chosen = path ? candidates.find((d) => d.path === path) : candidates[0];
    if (!chosen?.path) {
      throw new PinPadError(
        'PINPAD_UNAVAILABLE',
        `no HID PIN pad ${profile.vendorId.toString(16).padStart(4, '0')}:${profile.productId
          .toString(16)
          .padStart(4, '0')}${path ? ` at ${path}` : ''} is connected`,
      );
    }
    const device = await hid.HIDAsync.open(chosen.path);
    return new HidPinPadTransport(device, profile, chosen.path);
  }

  async send(frame: Frame): Promise<void> {
    if (this.#closed) throw new PinPadError('PINPAD_DISCONNECTED', `${this.description} is not connected`);
    const report = encodeHidReport(this.#profile.reportId, this.#profile.reportLength, frame);
    try {
      await this.#device.write(report);
    } catch (e) {
      throw new PinPadError('PINPAD_DISCONNECTED', `write to ${this.description} failed`, {}, { cause: e });
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#device.close();
  }
}
