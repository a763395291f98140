/**
 * The gpio plugin: pins declared in the config become devices. Inputs are binary sensors (motion,
 * contact) or buttons, reported on each (debounced) edge; outputs are switches driven by
 * `gpio.command`. The GPIO driver is the process-wide one (`hardware.gpio.driver`). With no pins
 * configured the plugin starts and touches no hardware. Uses only the SDK.
 */
import { definePlugin, type GpioLine, type PluginContext } from "../../src/sdk/index.ts";
import { configSchema, type GpioPluginConfig, type PinConfig } from "./config.ts";

type Ctx = PluginContext<GpioPluginConfig>;

interface Opened {
  pin: PinConfig;
  line: GpioLine;
}

/** What a pin's level means to its device. */
function stateOf(pin: PinConfig, value: 0 | 1): Record<string, unknown> {
  if (pin.role === "output") return { on_off: value === 1 };
  if (pin.kind === "motion") return { motion: value === 1 };
  if (pin.kind === "contact") return { contact: value === 1 };
  return {};
}

function deviceOf(pin: PinConfig, line: GpioLine) {
  const attributes = {
    manufacturer: "Hearth",
    model: `gpio-${pin.role}-${pin.kind}`,
    chip: line.chip,
    line: line.offset,
    ...(pin.pin === undefined ? {} : { headerPin: pin.pin }),
    activeLow: pin.activeLow,
  };
  const base = { externalId: pin.id, name: pin.name, attributes, ...(pin.area ? { area: pin.area } : {}) };
  if (pin.role === "output") return { ...base, type: "switch", capabilities: ["on_off"] };
  if (pin.kind === "button") {
    return { ...base, type: "button", capabilities: [{ name: "action", actions: ["single"] }] };
  }
  return { ...base, type: "binary_sensor", capabilities: [pin.kind] };
}

async function open(ctx: Ctx, pin: PinConfig, openedBy: Map<string, string>): Promise<GpioLine> {
  const gpio = ctx.hardware.gpio;
  let ref: number | { chip: string | number; offset: number };
  if (pin.pin !== undefined) {
    try {
      ref = gpio.headerPinToLine(pin.pin);
    } catch (err) {
      throw ctx.errors.create(
        "PLUGIN_CONFIG_INVALID",
        `pin "${pin.id}": ${err instanceof Error ? err.message : String(err)}`,
        { pin: pin.id, headerPin: pin.pin },
      );
    }
  } else {
    ref = pin.line as number | { chip: string | number; offset: number };
  }
  try {
    const line =
      pin.role === "output"
        ? await gpio.open(ref, { direction: "output", activeLow: pin.activeLow, initial: pin.initial })
        : await gpio.open(ref, {
            direction: "input",
            edge: pin.kind === "button" ? "rising" : "both",
            debounceMs: pin.debounceMs,
            bias: pin.bias,
            activeLow: pin.activeLow,
          });
    openedBy.set(`${line.chip}:${line.offset}`, pin.id);
    return line;
  } catch (err) {
    // The same line written two ways (header pin 11 and line 17) is only seen once it is resolved.
    const data = ctx.errors.is(err, "GPIO_LINE_BUSY")
      ? (err.data as { chip?: string; offset?: number; holder?: string })
      : undefined;
    const other = data === undefined ? undefined : openedBy.get(`${data.chip}:${data.offset}`);
    if (other !== undefined && data?.holder === ctx.name) {
      throw ctx.errors.create(
        "PLUGIN_CONFIG_INVALID",
        `pin "${pin.id}" uses line ${data.offset} of ${data.chip}, like pin "${other}"`,
        { pin: pin.id, other, chip: data.chip, offset: data.offset },
      );
    }
    throw err;
  }
}

export default definePlugin<GpioPluginConfig>({
  configSchema: (z) => configSchema(z),

  async onStart(ctx) {
    const { pins, refreshMs } = ctx.config;
    if (pins.length === 0) {
      ctx.log.info("no pins configured (plugins.gpio.config.pins); not touching GPIO");
      return;
    }
    let selection: Awaited<ReturnType<Ctx["hardware"]["gpio"]["selection"]>>;
    try {
      selection = await ctx.hardware.gpio.selection();
    } catch (err) {
      if (!ctx.errors.is(err, "GPIO_UNAVAILABLE")) throw err;
      ctx.log.error({ code: err.code, err: err.message }, "no GPIO here; the pins stay unavailable");
      ctx.integration.setStatus("error", err.message);
      return;
    }
    ctx.log.info(
      { driver: selection.driver, requested: selection.requested, reason: selection.reason },
      `GPIO driver ${selection.driver}: ${selection.reason}`,
    );

    const opened = new Map<string, Opened>();
    const openedBy = new Map<string, string>();
    for (const pin of pins) opened.set(pin.id, { pin, line: await open(ctx, pin, openedBy) });

    const report = (id: string, state: Record<string, unknown>) =>
      ctx.services.call("devices.report", { externalId: id, state });
    const reportFailed = (id: string) => (err: unknown) =>
      ctx.log.warn({ pin: id, err: err instanceof Error ? err.message : String(err) }, "report failed");

    ctx.services.register(
      "command",
      async (params: { externalId: string; changes: Record<string, unknown> }) => {
        const o = opened.get(params.externalId);
        if (o === undefined || o.pin.role !== "output") {
          throw ctx.errors.create("NOT_FOUND", `No output pin "${params.externalId}"`, {
            externalId: params.externalId,
          });
        }
        const on = params.changes.on_off;
        if (typeof on !== "boolean") {
          throw ctx.errors.create("VALIDATION_FAILED", "An output takes { on_off: boolean }", {
            changes: params.changes,
          });
        }
        await o.line.write(on);
        await report(o.pin.id, { on_off: on });
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

    for (const { pin, line } of opened.values()) {
      await ctx.services.call("devices.announce", deviceOf(pin, line));
      if (pin.role === "input") {
        line.watch((event) => {
          const state = pin.kind === "button" ? { action: "single" } : stateOf(pin, event.value);
          void report(pin.id, state).catch(reportFailed(pin.id));
        });
      }
    }
    const refresh = async () => {
      for (const { pin, line } of opened.values()) {
        if (pin.role === "input" && pin.kind === "button") {
          await ctx.services.call("devices.set_available", { externalId: pin.id, available: true });
        } else {
          await report(pin.id, stateOf(pin, await line.read()));
        }
      }
    };
    await refresh();
    ctx.setInterval(refresh, refreshMs);
    ctx.integration.setStatus("ok");
    ctx.log.info(
      {
        pins: [...opened.values()].map(
          ({ pin, line }) => `${pin.id}=${line.chip}:${line.offset} ${pin.role}`,
        ),
      },
      `${opened.size} GPIO pin${opened.size === 1 ? "" : "s"} running`,
    );
    stash.set(ctx, opened);
  },

  async onStop(ctx) {
    // Outputs go to their safe state; the lines themselves are closed by Hearth after this hook.
    for (const { pin, line } of stash.get(ctx)?.values() ?? []) {
      if (pin.role !== "output" || pin.safeState === "keep" || line.closed) continue;
      try {
        await line.write(pin.safeState === "on");
      } catch (err) {
        ctx.log.warn(
          { pin: pin.id, err: err instanceof Error ? err.message : String(err) },
          "safe state failed",
        );
      }
    }
    stash.delete(ctx);
  },
});

/** The pins of each running load, by context (a reload gets a new context). */
const stash = new WeakMap<object, Map<string, Opened>>();
