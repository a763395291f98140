/** A few DOM helpers: the page is plain DOM, no framework (it stays a few KB). */

export type Child = Node | string | number | null | undefined | false | Child[];
export type Props = Record<string, unknown>;

/**
 * Creates an element. Props: `on<event>` functions become listeners; `value`/`checked`/`disabled`
 * are set as properties; `true` is an empty attribute; `false`/null/undefined are left out; anything
 * else is an attribute (`class`, `for`, `aria-*`, `role`, `id`, …).
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props?: Props | null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2).toLowerCase(), value as EventListener);
    } else if (key === "value" || key === "checked" || key === "disabled") {
      (el as unknown as Record<string, unknown>)[key] = value;
    } else {
      el.setAttribute(key, value === true ? "" : String(value));
    }
  }
  append(el, children);
  return el;
}

export function append(parent: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(parent, c);
    else parent.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replaces a node's children, keeping keyboard focus on the element with the same id if it is redrawn. */
export function replace(parent: Element, ...children: Child[]): void {
  const focused = document.activeElement;
  const focusId = focused && parent.contains(focused) ? focused.id : "";
  parent.replaceChildren();
  append(parent, children);
  if (focusId) document.getElementById(focusId)?.focus();
}

/** A safe id fragment from any string (device ids may hold characters ids should not). */
export function slug(text: string): string {
  return text.replace(/[^A-Za-z0-9_-]/g, (ch) => `_${ch.charCodeAt(0).toString(16)}`);
}
