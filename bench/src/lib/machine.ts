import { cpus, totalmem } from 'node:os';

/** What the numbers were measured on, printed with every report. */
export function describeMachine(): string {
  const cpu = cpus();
  const model = cpu[0]?.model.trim() ?? 'unknown CPU';
  const gib = (totalmem() / 2 ** 30).toFixed(0);
  return `${cpu.length} cores (${model}), ${gib} GiB RAM, Node ${process.versions.node}, ${new Date().toISOString()}`;
}
