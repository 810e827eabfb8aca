import type { TerminalMode } from '@sscard/agent-protocol';
import type { TerminalType } from '../config/schema.js';

const MODE_OF_TYPE: Record<TerminalType, TerminalMode> = {
  kiosk: 'kiosk',
  hospital: 'desk',
  pharmacy: 'desk',
  bank: 'bank',
  bureau: 'bureau',
};

function modeOf(type: string | undefined): TerminalMode | undefined {
  return type !== undefined && Object.hasOwn(MODE_OF_TYPE, type)
    ? MODE_OF_TYPE[type as TerminalType]
    : undefined;
}

/**
 * The one rule of what this terminal serves: the mode of the type its certificate names (the
 * configured type before it is enrolled). A certificate and a configuration that disagree make a
 * kiosk, which has no desk or counter calls: card-service goes by the certificate, and a terminal
 * configured as a kiosk stands where citizens serve themselves, whatever it was enrolled as.
 * The page's screens come from this mode, and the desk and bank calls are refused outside theirs.
 */
export function terminalMode(
  configured: TerminalType | undefined,
  enrolled: string | undefined,
): TerminalMode {
  const byConfiguration = modeOf(configured);
  if (enrolled === undefined) return byConfiguration ?? 'kiosk';
  // A type this agent does not know serves nothing beyond the kiosk's.
  const byCertificate = modeOf(enrolled) ?? 'kiosk';
  return byConfiguration === undefined || byConfiguration === byCertificate ? byCertificate : 'kiosk';
}
