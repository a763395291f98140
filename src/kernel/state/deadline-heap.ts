/** Something with a deadline (ms on the engine's clock). */
export interface HasDeadline {
  readonly deadline: number;
}

/** A binary min-heap ordered by `deadline`. */
export class DeadlineHeap<T extends HasDeadline> {
  #items: T[] = [];

  get size(): number {
    return this.#items.length;
  }

  peek(): T | undefined {
    return this.#items[0];
  }

  push(item: T): void {
    const items = this.#items;
    items.push(item);
    this.#up(items.length - 1);
  }

  pop(): T | undefined {
    const items = this.#items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) {
      items[0] = last;
      this.#down(0);
    }
    return top;
  }

  /** Keeps only the items for which `keep` is true, in O(n). */
  retain(keep: (item: T) => boolean): void {
    this.#items = this.#items.filter(keep);
    for (let i = (this.#items.length >> 1) - 1; i >= 0; i--) this.#down(i);
  }

  clear(): void {
    this.#items = [];
  }

  #up(i: number): void {
    const items = this.#items;
    const item = items[i] as T;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = items[parent] as T;
      if (p.deadline <= item.deadline) break;
      items[i] = p;
      i = parent;
    }
    items[i] = item;
  }

  #down(i: number): void {
    const items = this.#items;
    const n = items.length;
    const item = items[i] as T;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      const right = child + 1;
      if (right < n && (items[right] as T).deadline < (items[child] as T).deadline) child = right;
      const c = items[child] as T;
      if (c.deadline >= item.deadline) break;
      items[i] = c;
      i = child;
    }
    items[i] = item;
  }
}
