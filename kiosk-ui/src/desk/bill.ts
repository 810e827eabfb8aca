import type { DeskBillLinesRequest } from '../protocol.js';
import { parseYuan } from '../money.js';

export type BillLine = DeskBillLinesRequest['lines'][number];

export type ParsedBill =
  | { ok: true; lines: BillLine[]; total: number }
  | { ok: false; badLine: number }
  | { ok: false; empty: true };

const ITEM_CODE = /^[0-9A-Za-z][0-9A-Za-z._-]{0,49}$/;

function isLine(value: unknown): value is Omit<BillLine, 'lineNo'> & { lineNo?: number } {
  const l = value as Partial<BillLine> | null;
  return (
    typeof l === 'object' &&
    l !== null &&
    typeof l.itemCode === 'string' &&
    ITEM_CODE.test(l.itemCode) &&
    Number.isSafeInteger(l.unitPrice) &&
    (l.unitPrice as number) >= 0 &&
    Number.isSafeInteger(l.quantity) &&
    (l.quantity as number) >= 1
  );
}

/**
 * The bill as the clerk gave it: the HIS's bill pasted as JSON (the agent's own body, or its list
 * of lines; prices in fen), or typed one item a line as `code price quantity` with the price in
 * yuan. Lines are numbered in order. Anything not understood names its line; nothing is guessed.
 */
export function parseBill(text: string): ParsedBill {
  const trimmed = text.trim();
  if (trimmed === '') return { ok: false, empty: true };
  let lines: BillLine[];
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    let json: unknown;
    try {
      json = JSON.parse(trimmed);
    } catch {
      return { ok: false, badLine: 1 };
    }
    const list = Array.isArray(json) ? json : (json as { lines?: unknown }).lines;
    if (!Array.isArray(list)) return { ok: false, badLine: 1 };
    lines = [];
    for (const [i, l] of list.entries()) {
      if (!isLine(l)) return { ok: false, badLine: i + 1 };
      lines.push({ lineNo: i + 1, itemCode: l.itemCode, unitPrice: l.unitPrice, quantity: l.quantity });
    }
  } else {
    lines = [];
    const rows = trimmed.split(/\r?\n/);
    for (const [i, row] of rows.entries()) {
      if (row.trim() === '') continue;
      const [itemCode = '', price = '', quantity = '', ...rest] = row.trim().split(/[\s,，]+/);
      const unitPrice = parseYuan(price);
      const count = /^\d{1,7}$/.test(quantity) ? Number(quantity) : 0;
      if (rest.length > 0 || !ITEM_CODE.test(itemCode) || unitPrice === undefined || count < 1) {
        return { ok: false, badLine: i + 1 };
      }
      lines.push({ lineNo: lines.length + 1, itemCode, unitPrice, quantity: count });
    }
  }
  if (lines.length === 0) return { ok: false, empty: true };
  if (lines.length > 500) return { ok: false, badLine: 501 };
  return { ok: true, lines, total: lines.reduce((sum, l) => sum + l.unitPrice * l.quantity, 0) };
}
