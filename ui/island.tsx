/**
 * Islands the Fresh way, without Fresh: the server renders an island's HTML
 * inside a marker element carrying its serialized props; `ui/client.ts`
 * finds the markers and hydrates each one with the same component and props.
 *
 * @module
 */
import type { ComponentType, JSX } from "preact";

/** Attribute naming the island component on its marker element. */
export const ISLAND_ATTRIBUTE = "data-island";
/** Attribute holding the island's props as JSON. */
export const PROPS_ATTRIBUTE = "data-props";

/** Props of {@link Island}. */
export interface IslandProps<P> {
  /** The island component (a default export of a file in islands/). */
  component: ComponentType<P>;
  /** Its registry name in ui/client.ts, e.g. "LoginForm". */
  name: string;
  /** Serializable props: they are written into the page as JSON, so never put secrets here. */
  props: P;
}

/**
 * Renders an island: server HTML for the first paint plus the marker the
 * client entry hydrates. Props go through JSON, so dates become strings and
 * functions are dropped; islands must accept that shape.
 *
 * @example
 * ```tsx
 * <Island name="LoginForm" component={LoginForm} props={{ next: "/" }} />
 * ```
 */
export function Island<P>({ component: Component, name, props }: IslandProps<P>): JSX.Element {
  const json = JSON.stringify(props ?? {});
  const attrs = { [ISLAND_ATTRIBUTE]: name, [PROPS_ATTRIBUTE]: json };
  // app.css gives markers `display: contents` so grids see the island's own root
  // (a stylesheet rule rather than a style attribute: CSP may forbid inline styles).
  return (
    <div {...attrs}>
      <Component {...(JSON.parse(json) as P & JSX.IntrinsicAttributes)} />
    </div>
  );
}
