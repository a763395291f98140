/**
 * What the plugin sends while the broker is away: a bounded FIFO. A message with a `key` (a device's
 * retained state or availability) replaces the queued message with the same key, so a device that
 * changed a hundred times while offline costs one message. When full, the oldest message goes.
 */
export interface OutgoingMessage {
  topic: string;
  payload: string;
  qos: 0 | 1 | 2;
  retain: boolean;
  /** Messages with the same key are coalesced to the latest. */
  key?: string;
}

export class OfflineQueue {
  readonly #max: number;
  /** Insertion-ordered; keyed messages keep the position of their first arrival. */
  readonly #items = new Map<string | number, OutgoingMessage>();
  #seq = 0;
  /** Messages dropped because the queue was full. */
  dropped = 0;

  constructor(max: number) {
    this.#max = max;
  }

  get size(): number {
    return this.#items.size;
  }

  push(message: OutgoingMessage): void {
    if (this.#max === 0) {
      this.dropped++;
      return;
    }
    const id = message.key === undefined ? this.#seq++ : `k:${message.key}`;
    if (this.#items.has(id)) {
      this.#items.set(id, message);
      return;
    }
    if (this.#items.size >= this.#max) {
      const oldest = this.#items.keys().next().value;
      if (oldest !== undefined) this.#items.delete(oldest);
      this.dropped++;
    }
    this.#items.set(id, message);
  }

  /** Everything queued, oldest first; the queue is left empty. */
  drain(): OutgoingMessage[] {
    const out = [...this.#items.values()];
    this.#items.clear();
    return out;
  }
}
