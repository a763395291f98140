/** What every page shares: the alert line, the page title, error text. */
import { ApiError } from "./api.ts";
import { h, replace } from "./dom.ts";

export function main(): HTMLElement {
  return document.getElementById("main") as HTMLElement;
}

/** Shows an error (with its code) in the page's alert region; screen readers announce it. */
export function showError(err: unknown, context?: string): void {
  const text = err instanceof ApiError ? err.toString() : err instanceof Error ? err.message : String(err);
  const el = document.getElementById("alert");
  if (el) replace(el, context ? `${context} — ${text}` : text);
}

export function clearError(): void {
  document.getElementById("alert")?.replaceChildren();
}

/** Runs an action, showing its failure; resolves to undefined when it failed. */
export async function attempt<T>(context: string, fn: () => Promise<T>): Promise<T | undefined> {
  try {
    const out = await fn();
    return out;
  } catch (err) {
    showError(err, context);
    return undefined;
  }
}

/** Replaces the page content, with its `h1`, and moves focus to it on navigation. */
export function page(title: string, ...content: (Node | string | null | undefined | false)[]): HTMLElement {
  document.title = `${title} · Hearth`;
  const root = main();
  replace(root, h("h1", null, title), ...content);
  return root;
}

/** A message for an API that this build does not have (its routes answer 404). */
export function missingApi(what: string, path: string, err: ApiError): HTMLElement {
  return h(
    "div",
    { class: "notice", role: "status" },
    h(
      "p",
      null,
      `${what} is not available on this Hearth: `,
      h("code", null, `GET ${path}`),
      ` answered ${err.status} `,
      h("code", null, err.code),
      ".",
    ),
    h(
      "p",
      { class: "hint" },
      "It arrives with the automation and presence modules; this page fills in once they are installed.",
    ),
  );
}
