import { makeCitizenId } from '@sscard/card-core';
import { type Clock, manualClock } from '../clock.js';
import { type ServiceConfig, loadConfig } from '../config.js';
import type { Store } from '../store/store.js';
import type { Actor } from '../registry/actor.js';
import type { HolderInput } from '../registry/holders.js';
import { Registry } from '../registry.js';

export const OPERATOR: Actor = { kind: 'operator', id: 'op-test' };
export const KIOSK: Actor = { kind: 'terminal', id: 'kiosk-1', type: 'kiosk', region: '330300' };
export const BANK: Actor = { kind: 'terminal', id: 'bank-1', type: 'bank', region: '330300' };
export const HOSPITAL: Actor = { kind: 'terminal', id: 'hosp-1', type: 'hospital', region: '330300' };

export const lifecycleDefaults: ServiceConfig['lifecycle'] = loadConfig({ env: {} }).lifecycle;

let sequence = 0;

/** A valid holder with a fresh citizen ID number, born 1980-05-17 in Wenzhou. */
export function holderInput(overrides: Partial<HolderInput> = {}): HolderInput {
  sequence = (sequence + 1) % 1000;
  const idNumber = makeCitizenId('330302', '19800517', sequence);
  return { idNumber, name: '林晓东', ethnicity: '01', region: '330300', ...overrides };
}

export function testRegistry(store: Store, clock: Clock = manualClock('2025-03-01T02:00:00Z')): Registry {
  return new Registry(store, clock, lifecycleDefaults);
}
