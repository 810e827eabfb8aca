// The terminal agent's wire contract, shared by the agent and every client of it (kiosk-ui, HIS
// integrations). Types and schemas only: nothing here does I/O.
export {};
