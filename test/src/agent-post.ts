/** An agent API answer: its status and JSON body. */
export interface AgentAnswer {
  status: number;
  body: Record<string, unknown>;
}

/** POSTs JSON to a running agent's API with its token, as a counter's page does. */
export function agentPost(
  base: string,
  token: string,
): (path: string, body: unknown) => Promise<AgentAnswer> {
  return async (path, body) => {
    const res = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
}
