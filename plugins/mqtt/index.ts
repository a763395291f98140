/**
 * The mqtt plugin: Hearth's devices on an MQTT broker (retained JSON state, commands on `set`
 * topics), Home Assistant discovery, and several Hearth nodes as one house. Idle until
 * `plugins.mqtt.config.url` is set; the `mqtt` package is imported only then (see connection.ts).
 */
import { definePlugin } from "../../src/sdk/index.ts";
import { Bridge } from "./bridge.ts";
import { configSchema, type MqttConfig, safeUrl } from "./config.ts";

export default definePlugin<MqttConfig>({
  configSchema: (z) => configSchema(z),

  onStart(ctx) {
    if (ctx.config.url === undefined) {
      ctx.log.debug("no broker configured (plugins.mqtt.config.url): idle");
      return;
    }
    const bridge = new Bridge(ctx);
    bridge.start();
    ctx.integration.setStatus("error", `connecting to ${safeUrl(ctx.config.url)}`);
    ctx.task("connection", (signal) => bridge.run(signal));
  },
});
