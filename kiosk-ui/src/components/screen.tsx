import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';

export type Tone = 'normal' | 'good' | 'bad';

export interface ScreenProps {
  /** The screen's name, also its `data-screen` for tests and styles. */
  name: string;
  title: string;
  tone?: Tone;
  /** More `data-*` attributes of the screen (a device, a step, a code). */
  data?: Record<string, string | undefined>;
  children?: ComponentChildren;
}

/**
 * One screen, one task: a heading, focused when the screen appears so that screen readers
 * announce it, and the screen's content.
 */
export function Screen(props: ScreenProps) {
  const title = useRef<HTMLHeadingElement>(null);
  useEffect(() => title.current?.focus(), []);
  const data = Object.fromEntries(
    Object.entries(props.data ?? {})
      .filter(([, value]) => value !== undefined)
      .map(([key, value]) => [`data-${key}`, value]),
  );
  const id = `${props.name}-title`;
  return (
    <section class={`screen screen-${props.name}`} data-screen={props.name} aria-labelledby={id} {...data}>
      <h1 id={id} ref={title} class={`screen-title tone-${props.tone ?? 'normal'}`} tabIndex={-1}>
        {props.title}
      </h1>
      {props.children}
    </section>
  );
}

export function Lead(props: { children: ComponentChildren }) {
  return <p class="lead">{props.children}</p>;
}

export function Note(props: { children: ComponentChildren }) {
  return <p class="note">{props.children}</p>;
}

export function Spinner() {
  return <div class="spinner" aria-hidden="true" />;
}
