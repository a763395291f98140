/**
 * Where a value sits in a JSON text: the editor's 422 issues name paths (`triggers.0.to`), and the
 * page points at that place in the text the user typed (line, and a selection). A small scanner, not
 * a parser: the text is already valid JSON when the server answers 422.
 */

export type JsonPath = (string | number)[];

export interface Located {
  /** Start and end offsets of the value (or of the nearest enclosing one that exists). */
  start: number;
  end: number;
  /** 1-based line of `start`. */
  line: number;
  /** How much of the path was found (shorter when the path names a missing key). */
  depth: number;
}

/** `["actions", 2, "then", 0]` → `actions[2].then[0]`, as traces name steps. */
export function formatPath(path: JsonPath): string {
  let out = "";
  for (const p of path) out += typeof p === "number" ? `[${p}]` : out === "" ? p : `.${p}`;
  return out === "" ? "(the rule)" : out;
}

/** Finds `path` in `text`; undefined when the text is not JSON the scanner can follow. */
export function locate(text: string, path: JsonPath): Located | undefined {
  let i = 0;
  const ws = () => {
    while (i < text.length && /\s/.test(text[i] as string)) i++;
  };
  const skipString = () => {
    i++;
    while (i < text.length && text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
    i++;
  };
  // Skips one value; returns false on text it cannot follow.
  const skipValue = (): boolean => {
    ws();
    const c = text[i];
    if (c === '"') {
      skipString();
      return true;
    }
    if (c === "{" || c === "[") {
      const close = c === "{" ? "}" : "]";
      i++;
      ws();
      if (text[i] === close) {
        i++;
        return true;
      }
      for (;;) {
        ws();
        if (c === "{") {
          if (text[i] !== '"') return false;
          skipString();
          ws();
          if (text[i] !== ":") return false;
          i++;
        }
        if (!skipValue()) return false;
        ws();
        if (text[i] === ",") i++;
        else if (text[i] === close) {
          i++;
          return true;
        } else return false;
      }
    }
    const m = /^(-?[0-9][0-9.eE+-]*|true|false|null)/.exec(text.slice(i, i + 64));
    if (m === null) return false;
    i += m[0].length;
    return true;
  };
  // Moves `i` to the start of the member `key` of the container at `i`; false when absent.
  const enter = (key: string | number): boolean => {
    ws();
    const c = text[i];
    if (c !== "{" && c !== "[") return false;
    i++;
    for (let n = 0; ; n++) {
      ws();
      if (text[i] === "}" || text[i] === "]") return false;
      let match: boolean;
      if (c === "{") {
        if (text[i] !== '"') return false;
        const from = i;
        skipString();
        let name: unknown;
        try {
          name = JSON.parse(text.slice(from, i));
        } catch {
          return false;
        }
        match = name === String(key);
        ws();
        if (text[i] !== ":") return false;
        i++;
      } else {
        match = n === key;
      }
      ws();
      if (match) return true;
      if (!skipValue()) return false;
      ws();
      if (text[i] === ",") i++;
      else return false;
    }
  };

  ws();
  let start = i;
  let depth = 0;
  for (const key of path) {
    const before = i;
    if (!enter(key)) {
      i = before;
      break;
    }
    start = i;
    depth++;
  }
  i = start;
  if (!skipValue()) return undefined;
  return { start, end: i, line: text.slice(0, start).split("\n").length, depth };
}
