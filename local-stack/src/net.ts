import { readFile, readdir, readlink } from 'node:fs/promises';
import { createServer } from 'node:net';

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '0.0.0.0', () => server.close(() => resolve(true)));
  });
}

/**
 * The kernel's ephemeral range: outgoing connections take their local port from it, so a port
 * chosen there can be taken by any connection between the probe and the daemon's bind.
 */
async function ephemeralRange(): Promise<[number, number]> {
  try {
    const [low, high] = (await readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8'))
      .trim()
      .split(/\s+/)
      .map(Number);
    if (low !== undefined && high !== undefined && Number.isInteger(low) && Number.isInteger(high)) {
      return [low, high];
    }
  } catch {
    // not Linux: assume the IANA dynamic range
  }
  return [49152, 65535];
}

/**
 * `count` consecutive free ports (vpcd uses port and port+1 for its two slots), outside the
 * ephemeral range where the kernel's own choices cannot race the daemon for them.
 */
export async function freePortRange(count: number): Promise<number> {
  const [ephemeralLow, ephemeralHigh] = await ephemeralRange();
  const candidates: Array<[number, number]> = [];
  if (ephemeralLow - count > 10000) candidates.push([10000, ephemeralLow - count]);
  if (65535 - count > ephemeralHigh + 1) candidates.push([ephemeralHigh + 1, 65535 - count]);
  if (candidates.length === 0) candidates.push([1024, 65535 - count]);
  for (let attempt = 0; attempt < 200; attempt++) {
    const [low, high] = candidates[attempt % candidates.length] as [number, number];
    const base = low + Math.floor(Math.random() * (high - low));
    let ok = true;
    for (let i = 0; i < count && ok; i++) ok = await canBind(base + i);
    if (ok) return base;
  }
  throw new Error(`no ${count} consecutive free TCP ports found`);
}

/** The socket inodes a process holds open. */
async function socketInodes(pid: number): Promise<Set<string>> {
  const inodes = new Set<string>();
  let fds: string[];
  try {
    fds = await readdir(`/proc/${pid}/fd`);
  } catch {
    return inodes;
  }
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(await readlink(`/proc/${pid}/fd/${fd}`));
      if (m?.[1]) inodes.add(m[1]);
    } catch {
      // the descriptor closed while the list was read
    }
  }
  return inodes;
}

/**
 * Whether a process listens on the TCP port — with `pid`, that process and no other, since
 * another process listening there means the daemon's own bind failed and a client would talk to
 * a stranger. Read from /proc rather than by connecting, because a connection to a vpcd port is a
 * card insertion.
 */
export async function isListening(port: number, pid?: number): Promise<boolean> {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  const owned = pid === undefined ? undefined : await socketInodes(pid);
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (!cols[1]?.endsWith(`:${hex}`) || cols[3] !== '0A') continue;
      if (owned === undefined || owned.has(cols[9] ?? '')) return true;
    }
  }
  return false;
}
