import type { ComponentChildren } from 'preact';

export interface ButtonProps {
  onClick(): void;
  variant?: 'primary' | 'secondary';
  disabled?: boolean;
  children: ComponentChildren;
}

/** A large button: every action on a screen is one of these (at least 64 px high in any mode). */
export function Button(props: ButtonProps) {
  return (
    <button
      type="button"
      class={`btn btn-${props.variant ?? 'primary'}`}
      disabled={props.disabled}
      onClick={() => props.onClick()}
    >
      {props.children}
    </button>
  );
}

/** A screen's buttons, together at the bottom of the screen, within reach. */
export function Actions(props: { children: ComponentChildren }) {
  return <div class="actions">{props.children}</div>;
}
