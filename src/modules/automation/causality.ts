/**
 * Causality: which rule runs led to a trigger. Events a run publishes (and the module's own
 * `automation.*` events) carry the chain in `causedBy`; device commands cannot carry it through the
 * owning plugin, so the map below remembers, per device, the changes a run commanded, and a
 * `device.state_changed` confirming them is attributed to that run.
 */
import type { StateChangedPayload } from "./triggers.ts";

/** One run in a causal chain. */
export interface CauseLink {
  rule: string;
  run: string;
}

/** A chain this long that already holds the rule stops it (a loop through its own effects). */
export const LOOP_DEPTH_LIMIT = 5;
/** Any chain this long stops, whichever rules it goes through. */
export const CHAIN_LIMIT = 16;

interface Commanded {
  changes: Record<string, unknown>;
  chain: CauseLink[];
  until: number;
}

/** A loop is a run about to start with `chain` behind it; returns the chain named, or undefined. */
export function loopOf(rule: string, chain: CauseLink[]): CauseLink[] | undefined {
  if (chain.length >= CHAIN_LIMIT) return chain;
  if (chain.length >= LOOP_DEPTH_LIMIT && chain.some((l) => l.rule === rule)) return chain;
  return undefined;
}

/** "hall-light#3f2a → hall-light#77c1 → …" for logs. */
export function describeChain(chain: CauseLink[], next?: string): string {
  const parts = chain.map((l) => `${l.rule}#${l.run.slice(0, 8)}`);
  if (next !== undefined) parts.push(next);
  return parts.join(" → ");
}

export class CausalMap {
  readonly #byDevice = new Map<string, Commanded[]>();
  readonly #windowMs: number;

  constructor(windowMs: number) {
    this.#windowMs = windowMs;
  }

  /** A run commanded `changes` on `device` at `now`. */
  commanded(device: string, changes: Record<string, unknown>, chain: CauseLink[], now: number): void {
    const list = (this.#byDevice.get(device) ?? []).filter((c) => c.until >= now);
    list.push({ changes, chain, until: now + this.#windowMs });
    // Bounded: a device commanded in a tight loop keeps only its latest commands.
    this.#byDevice.set(device, list.slice(-8));
  }

  /** The chain behind a change: the latest live command whose values it reports. */
  causeOf(p: StateChangedPayload, now: number): CauseLink[] {
    const list = this.#byDevice.get(p.id);
    if (list === undefined) return [];
    const live = list.filter((c) => c.until >= now);
    if (live.length === 0) {
      this.#byDevice.delete(p.id);
      return [];
    }
    this.#byDevice.set(p.id, live);
    for (let i = live.length - 1; i >= 0; i--) {
      const c = live[i] as Commanded;
      const explained = p.changed.some(
        (k) => Object.hasOwn(c.changes, k) && JSON.stringify(c.changes[k]) === JSON.stringify(p.new[k]),
      );
      if (explained) return c.chain;
    }
    return [];
  }

  get size(): number {
    return this.#byDevice.size;
  }
}
