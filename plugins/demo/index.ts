/**
 * The demo plugin: a small simulated house driven through the devices module exactly as a real
 * integration drives hardware. It announces its devices, answers `demo.command` after a short delay
 * (as a real bulb does) and then reports the new state, and reports sensor values on its interval.
 * The switch is a relay and the motion sensor a PIR on a private simulated GPIO
 * (`ctx.hardware.gpio.sim()`), so they take the path real pins take: the command drives the relay
 * line, and the PIR's line edges are what gets reported. Uses only the SDK. The default config of an
 * installed service disables it.
 */
import { definePlugin, type PluginContext, type SimGpio } from "../../src/sdk/index.ts";

interface DemoConfig {
  /** How often the simulated sensors report, in ms. */
  intervalMs: number;
  /** How long the simulated devices take to carry out a command, in ms. */
  commandDelayMs: number;
  /** Per interval, the chance of motion in the hall, of the door moving, of a button press. */
  motionChance: number;
  doorChance: number;
  buttonChance: number;
}

type State = Record<string, unknown>;

interface SimDevice {
  externalId: string;
  name: string;
  type: "light" | "switch" | "sensor" | "binary_sensor" | "button";
  area?: string;
  capabilities: (string | { name: string; min?: number; max?: number; actions?: string[] })[];
  /** What the simulated hardware is now; reported at start and after each change. */
  initial: State;
}

const HOUSE: SimDevice[] = [
  {
    externalId: "light",
    name: "Living room light",
    type: "light",
    area: "living-room",
    capabilities: ["on_off", "brightness", { name: "color_temp", min: 2200, max: 4000 }],
    initial: { on_off: false, brightness: 80, color_temp: 2700 },
  },
  {
    externalId: "switch",
    name: "Living room switch",
    type: "switch",
    area: "living-room",
    capabilities: ["on_off", "power"],
    initial: { on_off: false, power: 0 },
  },
  {
    externalId: "motion",
    name: "Hall motion sensor",
    type: "binary_sensor",
    area: "hall",
    capabilities: ["motion", "battery"],
    initial: { motion: false, battery: 87 },
  },
  {
    externalId: "door",
    name: "Front door",
    type: "binary_sensor",
    area: "hall",
    capabilities: ["contact", "battery"],
    initial: { contact: true, battery: 92 },
  },
  {
    externalId: "climate",
    name: "Bedroom climate",
    type: "sensor",
    area: "bedroom",
    capabilities: ["temperature", "humidity", "battery"],
    initial: { temperature: 20.5, humidity: 45, battery: 78 },
  },
  {
    externalId: "button",
    name: "Button",
    type: "button",
    capabilities: [{ name: "action", actions: ["single", "double", "hold"] }, "battery"],
    initial: { battery: 95 },
  },
];

/** Power drawn by the simulated plug's load when on, in W. */
const PLUG_LOAD_W = 60;

/** The simulated GPIO lines (BCM numbers on the sim's header-like chip). */
const DEMO_RELAY_LINE = 17;
const DEMO_PIR_LINE = 4;

export default definePlugin<DemoConfig>({
  configSchema: (z) =>
    z.object({
      intervalMs: z.int().min(100).default(5000),
      commandDelayMs: z.int().min(0).max(10_000).default(150),
      motionChance: z.number().min(0).max(1).default(0.05),
      doorChance: z.number().min(0).max(1).default(0.02),
      buttonChance: z.number().min(0).max(1).default(0.01),
    }),

  onLoad(ctx) {
    ctx.services.register("ping", () => ({ pong: true, at: Date.now() }), { idempotent: true });
  },

  async onStart(ctx) {
    const { intervalMs, commandDelayMs } = ctx.config;
    // The simulated hardware keeps its state across restarts, as a real bulb does.
    const saved = (await ctx.storage.get("demo", "hardware")) as Record<string, State> | undefined;
    const hardware = new Map<string, State>(
      HOUSE.map((d) => [d.externalId, { ...d.initial, ...(saved?.[d.externalId] ?? {}) }]),
    );
    const save = () =>
      ctx.storage.set("demo", "hardware", Object.fromEntries(hardware) as Record<string, never>, {
        deferred: true,
      });
    const report = async (externalId: string, state: State) => {
      const now = hardware.get(externalId);
      if (now === undefined) return;
      for (const [k, v] of Object.entries(state)) if (k !== "action") now[k] = v;
      await save();
      await ctx.services.call("devices.report", { externalId, state });
    };
    const warn = (what: string) => (err: unknown) =>
      ctx.log.warn({ err: String(err) }, `demo ${what} failed`);

    // The switch's relay and the hall's PIR sensor, on the demo's own simulated GPIO.
    const gpio = await ctx.hardware.gpio.sim();
    const relay = await gpio.open(DEMO_RELAY_LINE, {
      direction: "output",
      initial: (hardware.get("switch") as State).on_off === true,
    });
    const pir = await gpio.open(DEMO_PIR_LINE, { direction: "input", edge: "both", bias: "pull-down" });
    pir.watch((edge) => {
      void report("motion", { motion: edge.value === 1 }).catch(warn("motion report"));
    });
    const carryOut = async (externalId: string, changes: State) => {
      if (externalId === "switch" && typeof changes.on_off === "boolean") {
        await relay.write(changes.on_off);
        const on = (await relay.read()) === 1;
        await report("switch", { ...changes, on_off: on, power: on ? PLUG_LOAD_W : 0 });
        return;
      }
      await report(externalId, changes);
    };

    ctx.services.register(
      "command",
      async (params: { externalId: string; changes: State }) => {
        const now = hardware.get(params.externalId);
        if (now === undefined) {
          throw ctx.errors.create("NOT_FOUND", `The demo has no device "${params.externalId}"`);
        }
        const changes = { ...params.changes };
        // Acknowledged at once; carried out, and reported, a moment later.
        ctx.setTimeout(() => {
          void carryOut(params.externalId, changes).catch(warn("command"));
        }, commandDelayMs);
        return { accepted: true };
      },
      {
        schema: ctx.z.object({
          id: ctx.z.string(),
          externalId: ctx.z.string(),
          changes: ctx.z.record(ctx.z.string(), ctx.z.unknown()),
        }),
      },
    );

    for (const d of HOUSE) {
      await ctx.services.call("devices.announce", {
        externalId: d.externalId,
        name: d.name,
        type: d.type,
        capabilities: d.capabilities,
        attributes: { manufacturer: "Hearth", model: `demo-${d.externalId}` },
        ...(d.area === undefined ? {} : { area: d.area }),
      });
      const state = { ...hardware.get(d.externalId) };
      if (d.externalId === "motion") state.motion = (await pir.read()) === 1;
      await ctx.services.call("devices.report", { externalId: d.externalId, state });
    }

    ctx.setInterval(() => {
      void tick(ctx, hardware, gpio, report).catch(warn("tick"));
    }, intervalMs);
    ctx.log.info({ intervalMs, devices: HOUSE.length }, "demo house running");
  },
});

async function tick(
  ctx: PluginContext<DemoConfig>,
  hardware: Map<string, State>,
  gpio: SimGpio,
  report: (externalId: string, state: State) => Promise<void>,
): Promise<void> {
  const { motionChance, doorChance, buttonChance } = ctx.config;
  const climate = hardware.get("climate") as State;
  const drift = (v: unknown, by: number, min: number, max: number) =>
    Math.min(max, Math.max(min, Math.round(((v as number) + (Math.random() - 0.5) * by) * 10) / 10));
  await report("climate", {
    temperature: drift(climate.temperature, 0.4, 15, 28),
    humidity: drift(climate.humidity, 1, 30, 70),
  });
  // Motion is seen rarely and clears on the next tick, like a PIR sensor's hold time. The PIR's pin
  // moves; its edge is what reports the motion.
  if (gpio.level(DEMO_PIR_LINE) === 1) gpio.drive(DEMO_PIR_LINE, 0);
  else if (Math.random() < motionChance) gpio.drive(DEMO_PIR_LINE, 1);
  if (Math.random() < doorChance) {
    await report("door", { contact: !(hardware.get("door") as State).contact });
  }
  if (Math.random() < buttonChance) {
    const actions = ["single", "double", "hold"] as const;
    await report("button", { action: actions[Math.floor(Math.random() * actions.length)] });
  }
}
