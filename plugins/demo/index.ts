/**
 * The demo plugin: a simulated lamp and temperature sensor, so a fresh install shows state changing
 * and events flowing without any hardware. Uses only the SDK.
 */
import { definePlugin } from "../../src/sdk/index.ts";

interface DemoConfig {
  /** How often the simulated sensor reports, in ms. */
  intervalMs: number;
}

export default definePlugin<DemoConfig>({
  configSchema: (z) => z.object({ intervalMs: z.int().min(100).default(5000) }),

  onLoad(ctx) {
    ctx.services.register("ping", () => ({ pong: true, at: Date.now() }), { idempotent: true });
  },

  async onStart(ctx) {
    const { intervalMs } = ctx.config;
    const lamp = (await ctx.storage.get("demo", "lamp")) ?? { on: false };
    ctx.state.set("demo/lamp", lamp);

    ctx.services.register(
      "set_lamp",
      async (params: { on: boolean }) => {
        const next = { on: params.on };
        await ctx.storage.set("demo", "lamp", next);
        ctx.state.set("demo/lamp", next);
        await ctx.events.publish("demo.lamp_switched", next);
        return next;
      },
      { schema: ctx.z.object({ on: ctx.z.boolean() }) },
    );

    let t = 21;
    ctx.setInterval(() => {
      t = Math.round((t + (Math.random() - 0.5) * 0.4) * 10) / 10;
      const reading = { temperature: t, unit: "°C" };
      ctx.state.set("demo/sensor", reading, { ttlMs: intervalMs * 3 });
      void ctx.events.publish("demo.sensor_reported", reading);
    }, intervalMs);
    ctx.log.info({ intervalMs }, "demo devices running");
  },
});
