import type { Clock } from '../clock.js';
import type { ServiceConfig } from '../config.js';
import type { Store } from '../store/store.js';

/** What the registry's operations work with: the store, the service's clock and the lifecycle periods. */
export interface RegistryContext {
  readonly store: Store;
  readonly clock: Clock;
  readonly lifecycle: ServiceConfig['lifecycle'];
}
