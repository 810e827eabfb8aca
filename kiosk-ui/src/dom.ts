/**
 * A tiny element builder. Text always goes in through `textContent`, never as HTML, so whatever
 * the agent sends (a name, a message) cannot become markup.
 */
type Child = Node | string | false | null | undefined;

export interface Props {
  class?: string;
  id?: string;
  role?: string;
  type?: 'button';
  tabIndex?: number;
  hidden?: boolean;
  onClick?: () => void;
  /** Other attributes by their full name: `{ 'aria-live': 'polite' }`. */
  attrs?: Record<string, string>;
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props.class) el.className = props.class;
  if (props.id) el.id = props.id;
  if (props.role) el.setAttribute('role', props.role);
  if (props.type && el instanceof HTMLButtonElement) el.type = props.type;
  if (props.tabIndex !== undefined) el.tabIndex = props.tabIndex;
  if (props.hidden) el.hidden = true;
  if (props.onClick) el.addEventListener('click', props.onClick);
  for (const [name, value] of Object.entries(props.attrs ?? {})) el.setAttribute(name, value);
  for (const child of children) {
    if (child === false || child === null || child === undefined) continue;
    el.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return el;
}

/** A large button: every action on the kiosk is one of these. */
export function button(label: string, onClick: () => void, variant: 'primary' | 'secondary' = 'primary') {
  return h('button', { type: 'button', class: `btn btn-${variant}`, onClick: () => onClick() }, label);
}
