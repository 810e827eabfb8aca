import type { TerminalView } from '@sscard/agent-protocol';
import { TERMINAL_TYPES, type TerminalType } from '../config/schema.js';
import { isRegistryError } from '../registry/errors.js';
import type { RegistryLink } from '../registry/registry-link.js';
import { terminalMode } from './terminal-mode.js';

export interface TerminalViewOptions {
  /** The terminal as configured (`terminal` in the agent's configuration). */
  configured: { id: string; type: TerminalType; region: string };
  registry: RegistryLink;
}

const isTerminalType = (type: string): type is TerminalType =>
  (TERMINAL_TYPES as readonly string[]).includes(type);

/**
 * The terminal as a page at it needs to know it: the certificate's id, type and region once it is
 * enrolled (the configuration's before), the mode the agent serves, and for a desk the institution
 * card-service has it settle for. An institution that cannot be asked for now is null: the desk
 * works without its name on the slip, and the page asks again when it loads next.
 */
export async function terminalView(options: TerminalViewOptions): Promise<TerminalView> {
  const { configured, registry } = options;
  const identity = registry.enrolledIdentity;
  const mode = terminalMode(configured.type, identity?.type);
  const type = identity && isTerminalType(identity.type) ? identity.type : configured.type;
  let institution: TerminalView['institution'] = null;
  if (identity && mode === 'desk') {
    try {
      institution = (await registry.terminalSelf()).institution;
    } catch (e) {
      if (!isRegistryError(e)) throw e;
    }
  }
  return {
    terminalId: identity?.terminalId ?? configured.id,
    type,
    enrolled: identity !== undefined,
    region: identity?.region ?? configured.region,
    mode,
    institution,
  };
}
