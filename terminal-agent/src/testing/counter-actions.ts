import type { ClerkView, PinAuthorisationView, PinManagementView } from '@sscard/agent-protocol';
import { EventEmitter } from 'node:events';
import type {
  BankBalanceView,
  BankPinBlockView,
  BankWithdrawalView,
  CitizenSummaryReply,
  PensionCertificationReply,
} from '@sscard/agent-protocol';
import { MinistryReturnCode } from '@sscard/agent-protocol';
import type { AgentActionEvents } from '../api/agent-actions.js';
import { pinResultView } from '../api/card-view.js';
import { ApiProblem } from '../api/problem.js';

const cancelledPin = () => pinResultView({ operation: 'verify', code: MinistryReturnCode.PIN_CANCELLED });

/**
 * The bank and HSM side of a test double for `AgentActions`: the answers of a plain counter
 * terminal, which is not a bank terminal and has no card-service configured. A double that tests
 * the bank routes themselves overrides these.
 */
export abstract class NotABankTerminal extends EventEmitter<AgentActionEvents> {
  async bankWithdrawal(): Promise<BankWithdrawalView> {
    throw new ApiProblem(403, 'TERMINAL_TYPE_FORBIDDEN', 'withdrawals are made at bank terminals only');
  }
  async bankBalance(): Promise<BankBalanceView> {
    throw new ApiProblem(403, 'TERMINAL_TYPE_FORBIDDEN', 'balance enquiries are made at bank terminals only');
  }
  async bankPinBlock(): Promise<BankPinBlockView> {
    throw new ApiProblem(403, 'TERMINAL_TYPE_FORBIDDEN', 'bank PINs are taken at bank terminals only');
  }
  /** The citizen's services: the double's citizen cancels the PIN entry, so the service is not asked. */
  async citizenSummary(): Promise<CitizenSummaryReply> {
    return { pin: cancelledPin(), summary: null };
  }
  async certifyPension(): Promise<PensionCertificationReply> {
    return { pin: cancelledPin(), certification: null };
  }
  async signInClerk(): Promise<ClerkView> {
    throw new ApiProblem(403, 'TERMINAL_TYPE_FORBIDDEN', 'clerks sign in at bureau counters only');
  }
  async authorisePin(): Promise<PinAuthorisationView> {
    throw new ApiProblem(
      403,
      'TERMINAL_TYPE_FORBIDDEN',
      'PINs are reloaded and unblocked at bureau counters only',
    );
  }
  async managePin(): Promise<PinManagementView> {
    throw new ApiProblem(
      403,
      'TERMINAL_TYPE_FORBIDDEN',
      'PINs are reloaded and unblocked at bureau counters only',
    );
  }
  async hsmStep(): Promise<string> {
    throw new ApiProblem(503, 'REGISTRY_NOT_CONFIGURED', 'no card-service is configured on this terminal');
  }
  /** Every failure reads as the ministry's reader-connection code: a double has no reader to tell apart. */
  ministryCode(): number {
    return -11;
  }
}
