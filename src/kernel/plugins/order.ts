/** A plugin as the sort sees it. */
export interface OrderNode {
  name: string;
  dependencies: readonly string[];
}

/** Why a plugin cannot start, decided before anything is loaded. */
export type SkipReason =
  /** `dependency` is not among the nodes; or it is skipped itself, because `root` is not among them. */
  | { kind: "missing"; dependency: string; root: string }
  /** In `cycle` (written `a → b → a`), or depending through `dependency` on a plugin that is. */
  | { kind: "cycle"; dependency: string; cycle: string[] };

export interface OrderResult {
  /** Dependencies before dependents; among peers, by name. */
  order: string[];
  skipped: Map<string, SkipReason>;
}

const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Kahn's topological sort. A missing dependency skips the plugin and, transitively, its dependents; a
 * cycle skips exactly the plugins in it and their dependents. Deterministic for a given set of nodes.
 */
export function orderPlugins(nodes: readonly OrderNode[]): OrderResult {
  const deps = new Map<string, string[]>();
  for (const n of nodes) deps.set(n.name, [...new Set(n.dependencies)]);
  const skipped = new Map<string, SkipReason>();
  skipMissing(deps, skipped);

  const live = [...deps.keys()].filter((n) => !skipped.has(n)).sort(byName);
  const dependents = new Map<string, string[]>(live.map((n) => [n, []]));
  const waiting = new Map<string, number>();
  for (const n of live) {
    const own = deps.get(n) ?? [];
    waiting.set(n, own.length);
    for (const d of own) dependents.get(d)?.push(n);
  }
  const ready = live.filter((n) => waiting.get(n) === 0);
  const order: string[] = [];
  while (ready.length > 0) {
    // `ready` stays sorted, so the smallest name among the startable ones goes first.
    const next = ready.shift() as string;
    order.push(next);
    for (const d of dependents.get(next) ?? []) {
      const left = (waiting.get(d) ?? 0) - 1;
      waiting.set(d, left);
      if (left === 0) insertSorted(ready, d);
    }
  }
  if (order.length < live.length) {
    const placed = new Set(order);
    skipCycles(
      live.filter((n) => !placed.has(n)),
      deps,
      skipped,
    );
  }
  return { order, skipped };
}

function skipMissing(deps: Map<string, string[]>, skipped: Map<string, SkipReason>): void {
  let changed = true;
  while (changed) {
    changed = false;
    for (const [name, own] of deps) {
      if (skipped.has(name)) continue;
      for (const d of own) {
        const reason = deps.has(d) ? skipped.get(d) : undefined;
        if (!deps.has(d)) skipped.set(name, { kind: "missing", dependency: d, root: d });
        else if (reason !== undefined) {
          skipped.set(
            name,
            reason.kind === "missing" ? { kind: "missing", dependency: d, root: reason.root } : reason,
          );
        } else continue;
        changed = true;
        break;
      }
    }
  }
}

/** Leftovers of Kahn's sort are cycle members or depend on one; tell them apart with Tarjan's SCCs. */
function skipCycles(left: string[], deps: Map<string, string[]>, skipped: Map<string, SkipReason>): void {
  const inLeft = new Set(left);
  const cycleOf = new Map<string, string[]>();
  for (const scc of stronglyConnected(left, deps, inLeft)) {
    const first = scc[0] as string;
    const selfLoop = scc.length === 1 && (deps.get(first) ?? []).includes(first);
    if (scc.length === 1 && !selfLoop) continue;
    const cycle = cyclePath(first, new Set(scc), deps);
    for (const member of scc) cycleOf.set(member, cycle);
  }
  for (const name of left) {
    const cycle = cycleOf.get(name);
    if (cycle !== undefined) {
      const members = new Set(cycle);
      const next = (deps.get(name) ?? []).find((d) => members.has(d)) ?? name;
      skipped.set(name, { kind: "cycle", dependency: next, cycle });
      continue;
    }
    // A dependent of a cycle: report the first dependency (by name) that leads to one.
    const via = (deps.get(name) ?? []).filter((d) => inLeft.has(d)).sort(byName)[0] ?? name;
    skipped.set(name, { kind: "cycle", dependency: via, cycle: reachCycle(via, deps, inLeft, cycleOf) });
  }
}

function reachCycle(
  start: string,
  deps: Map<string, string[]>,
  inLeft: Set<string>,
  cycleOf: Map<string, string[]>,
): string[] {
  const seen = new Set<string>([start]);
  const queue = [start];
  while (queue.length > 0) {
    const n = queue.shift() as string;
    const cycle = cycleOf.get(n);
    if (cycle !== undefined) return cycle;
    for (const d of [...(deps.get(n) ?? [])].sort(byName)) {
      if (inLeft.has(d) && !seen.has(d)) {
        seen.add(d);
        queue.push(d);
      }
    }
  }
  return [];
}

/** The shortest way round from `start` back to itself inside one SCC: `[a, b, a]`. */
function cyclePath(start: string, members: Set<string>, deps: Map<string, string[]>): string[] {
  const parent = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const n = queue.shift() as string;
    for (const d of [...(deps.get(n) ?? [])].sort(byName)) {
      if (!members.has(d)) continue;
      if (d === start) {
        const path = [start];
        for (let at: string | undefined = n; at !== undefined && at !== start; at = parent.get(at)) {
          path.splice(1, 0, at);
        }
        return [...path, start];
      }
      if (!parent.has(d)) {
        parent.set(d, n);
        queue.push(d);
      }
    }
  }
  return [start, start];
}

function stronglyConnected(nodes: string[], deps: Map<string, string[]>, within: Set<string>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of deps.get(v) ?? []) {
      if (!within.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
      }
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop() as string;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      out.push(scc.sort(byName));
    }
  };
  for (const n of nodes) if (!index.has(n)) visit(n);
  return out;
}

function insertSorted(list: string[], item: string): void {
  let i = list.length;
  while (i > 0 && byName(list[i - 1] as string, item) > 0) i--;
  list.splice(i, 0, item);
}
