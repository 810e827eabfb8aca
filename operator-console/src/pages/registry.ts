import type { OperationId, OperatorRecord } from '@sscard/registry-protocol';
import type { ComponentType } from 'preact';

/**
 * The console's pages. A page says which operation its content comes from (`needs`): the shell
 * lists it only for an operator whose scopes allow that operation, so what a person sees follows
 * from the same access rules the service enforces. A new page is one module that calls
 * `registerPage`, imported once by `pages/index.ts`.
 */
export interface PageProps {
  operator: OperatorRecord;
  /** The rest of the location after the page's id (`#/alerts/123` → `['123']`). */
  path: string[];
}

export interface ConsolePage {
  /** Its place in the location: `#/<id>`. */
  id: string;
  title: string;
  /** The navigation group it is listed under. */
  group: PageGroup;
  /** Lower comes first within its group. */
  order: number;
  needs: OperationId;
  component: ComponentType<PageProps>;
}

export const PAGE_GROUPS = {
  statistics: '统计',
  work: '业务',
  analysis: '分析',
} as const;
export type PageGroup = keyof typeof PAGE_GROUPS;

const pages = new Map<string, ConsolePage>();

export function registerPage(page: ConsolePage): void {
  if (pages.has(page.id)) throw new Error(`a console page ${page.id} is registered twice`);
  pages.set(page.id, page);
}

export function allPages(): ConsolePage[] {
  return [...pages.values()].sort((a, b) => a.order - b.order || a.id.localeCompare(b.id));
}
