/**
 * EventBus: publish → deliver against Node's EventEmitter doing the equivalent emit in the same run.
 *
 * EventEmitter.emit is synchronous and returns nothing to wait for; bus.publish returns a promise that
 * settles once every handler has. So each table shows the bus both awaited (the real contract) and, for
 * synchronous handlers, not awaited (delivery has already happened when publish returns). The batch
 * tables publish 1000 events and await them together, which is how a busy publisher really uses it.
 */
import { EventEmitter } from "node:events";
import { createEventBus } from "../src/kernel/bus/index.ts";
import { compare, figure, save } from "./lib.ts";

const TYPE = "device.state_changed";
const PAYLOAD = { id: "lamp", on: true };
const BATCH = 1000;

let sink = 0;
const syncHandler = () => {
  sink++;
};
const asyncHandler = async () => {
  sink++;
};

function emitterWith(listeners: number, listener: () => unknown = syncHandler): EventEmitter {
  const ee = new EventEmitter();
  ee.setMaxListeners(0);
  for (let i = 0; i < listeners; i++) ee.on(TYPE, listener);
  return ee;
}

function busWith(subscribers: number, pattern: string, handler: () => unknown = syncHandler) {
  const bus = createEventBus();
  for (let i = 0; i < subscribers; i++) bus.subscribe(pattern, handler as () => void);
  return bus;
}

async function syncTable(subscribers: number, pattern: string) {
  const ee = emitterWith(subscribers);
  const bus = busWith(subscribers, pattern);
  const ordered = busWith(subscribers, pattern);
  await compare(`${subscribers} subscriber(s), pattern "${pattern}", synchronous handlers — one event`, [
    { name: "EventEmitter.emit (exact name)", baseline: true, fn: () => void ee.emit(TYPE, PAYLOAD) },
    { name: "await bus.publish", fn: () => bus.publish(TYPE, PAYLOAD) },
    {
      name: "bus.publish, not awaited (handlers already ran)",
      fn: () => {
        void bus.publish(TYPE, PAYLOAD);
      },
    },
    { name: "await bus.publishOrdered", fn: () => ordered.publishOrdered(TYPE, PAYLOAD) },
  ]);
}

await syncTable(1, TYPE);
await syncTable(10, TYPE);
await syncTable(1, "device.*");
await syncTable(10, "device.*");
await syncTable(1, "*");

{
  const ee = new EventEmitter();
  const bus = createEventBus();
  bus.subscribe("light.changed", syncHandler);
  await compare("no subscriber for the type — one event", [
    { name: "EventEmitter.emit, no listener", baseline: true, fn: () => void ee.emit(TYPE, PAYLOAD) },
    {
      name: "bus.publish, no subscriber (fast path)",
      fn: () => {
        void bus.publish(TYPE, PAYLOAD);
      },
    },
  ]);
}

{
  const ee = emitterWith(10);
  const bus = busWith(10, TYPE);
  await compare(`10 subscribers, exact, synchronous handlers — ${BATCH} events awaited together`, [
    {
      name: `EventEmitter.emit × ${BATCH}`,
      baseline: true,
      fn: () => {
        for (let i = 0; i < BATCH; i++) ee.emit(TYPE, PAYLOAD);
      },
    },
    {
      name: `bus.publish × ${BATCH}, await Promise.all`,
      fn: () => {
        const all: Promise<void>[] = new Array(BATCH);
        for (let i = 0; i < BATCH; i++) all[i] = bus.publish(TYPE, PAYLOAD);
        return Promise.all(all);
      },
    },
  ]);
}

{
  // The emitter drops its async listeners' promises; the baseline collects and awaits them so both
  // sides guarantee the same thing: every handler has settled.
  let pending: unknown[] = [];
  const collect = () => {
    pending.push(asyncHandler());
  };
  const ee = emitterWith(10, collect);
  const bus = busWith(10, TYPE, asyncHandler);
  const ordered = busWith(10, TYPE, asyncHandler);
  await compare(`10 subscribers, exact, async handlers — ${BATCH} events awaited together`, [
    {
      name: `EventEmitter.emit × ${BATCH}, await all listener promises`,
      baseline: true,
      fn: async () => {
        pending = [];
        for (let i = 0; i < BATCH; i++) ee.emit(TYPE, PAYLOAD);
        await Promise.all(pending);
      },
    },
    {
      name: `bus.publish × ${BATCH}, await Promise.all`,
      fn: () => {
        const all: Promise<void>[] = new Array(BATCH);
        for (let i = 0; i < BATCH; i++) all[i] = bus.publish(TYPE, PAYLOAD);
        return Promise.all(all);
      },
    },
    {
      name: `bus.publishOrdered × ${BATCH}, await Promise.all`,
      fn: () => {
        const all: Promise<void>[] = new Array(BATCH);
        for (let i = 0; i < BATCH; i++) all[i] = ordered.publishOrdered(TYPE, PAYLOAD);
        return Promise.all(all);
      },
    },
  ]);
}

{
  // Correctness of what was measured: every publish reached every handler.
  const bus = busWith(10, "device.*", asyncHandler);
  const before = sink;
  const all: Promise<void>[] = [];
  for (let i = 0; i < BATCH; i++) all.push(bus.publish(TYPE, PAYLOAD));
  await Promise.all(all);
  const { delivered, failed } = bus.stats();
  if (delivered !== BATCH * 10 || failed !== 0 || sink - before !== BATCH * 10) {
    throw new Error(`bus bench: expected ${BATCH * 10} deliveries, got ${delivered} (failed ${failed})`);
  }
  figure({ name: "deliveries checked after a 1000×10 async batch", value: delivered, unit: "handlers" });
}

save("bus");
