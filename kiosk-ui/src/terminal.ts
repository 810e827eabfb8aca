import { useEffect, useState } from 'preact/hooks';
import { callAgent } from './agent-rest.js';
import type { TerminalView } from './protocol.js';

const RETRY_MS = 2_000;

/**
 * The terminal this page runs on, from the agent (`GET /v1/terminal`): its mode decides which
 * screens the page has. Until the agent answers, there is no mode and so no screens but a notice:
 * a page never guesses itself a desk or a counter.
 */
export function useTerminal(): TerminalView | undefined {
  const [terminal, setTerminal] = useState<TerminalView | undefined>(undefined);
  useEffect(() => {
    let stopped = false;
    let retry: ReturnType<typeof setTimeout> | undefined;
    const load = async (): Promise<void> => {
      const reply = await callAgent<TerminalView>('GET', '/v1/terminal');
      if (stopped) return;
      if (reply.ok) {
        document.documentElement.dataset.mode = reply.result.mode;
        setTerminal(reply.result);
      } else {
        retry = setTimeout(() => void load(), RETRY_MS);
      }
    };
    void load();
    return () => {
      stopped = true;
      clearTimeout(retry);
    };
  }, []);
  return terminal;
}
