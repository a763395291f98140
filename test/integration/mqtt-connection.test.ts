/**
 * The mqtt plugin's connection (issue 18): the broker's reason in the plugin status while it is
 * refused or away, reconnection with backoff, the password never in a log line, and a runtime
 * without a broker configured that never loads the `mqtt` package.
 */
import { afterAll, describe, expect, it } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import mqttManifest from "../../plugins/mqtt/plugin.json" with { type: "json" };
import { builtinSource } from "../../src/kernel/plugins/index.ts";
import { startBroker, type TestBroker, watch } from "../helpers/mqtt.ts";
import { type Booted, bootRuntime, dataDir, removeDataDirs } from "../helpers/runtime.ts";

// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked by expect()
type Json = any;

const mqttPlugin = () =>
  builtinSource({ manifest: mqttManifest, load: () => import("../../plugins/mqtt/index.ts") });
const running: Booted[] = [];
const brokers: TestBroker[] = [];
afterAll(async () => {
  for (const r of running) await r.stop();
  for (const b of brokers) await b.stop();
  removeDataDirs();
});

const health = async (r: Booted): Promise<Json> => {
  const p: Json = await r.json("/api/v1/plugins");
  return (p.plugins ?? p).find((x: Json) => x.name === "mqtt");
};
const until = async (what: string, fn: () => Promise<boolean>, timeoutMs = 5000) => {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await fn()) return;
    await Bun.sleep(20);
  }
  throw new Error(`timed out waiting for ${what}`);
};

describe("mqtt connection", () => {
  it("shows the broker's refusal in the status, retries, and connects once accepted; the password is never logged", async () => {
    const PASSWORD = "s3cret-Pa55-word";
    let accept = false;
    const broker = await startBroker({ authenticate: (u, p) => accept && u === "hearth" && p === PASSWORD });
    brokers.push(broker);
    const r = await bootRuntime({
      plugins: [mqttPlugin()],
      overrides: {
        "plugins.mqtt.config": {
          url: broker.url,
          nodeId: "auth",
          username: "hearth",
          password: PASSWORD,
          reconnect: { minMs: 50, maxMs: 200 },
        },
      },
    });
    running.push(r);
    await until("the refusal in the status", async () =>
      /not authori[sz]ed/i.test((await health(r)).health?.reason ?? ""),
    );
    const mqtt = await health(r);
    expect(mqtt.health.status).toBe("error");
    expect(mqtt.health.reason).toContain(broker.url);
    const ready = (await (await r.request("/health/ready")).json()) as Json;
    expect(ready.status).toBe("degraded");
    accept = true;
    await until("the connection", async () => (await health(r)).health?.status === "ok");
    const w = await watch(broker.url.replace("//", "//hearth:s3cret-Pa55-word@"), ["hearth/auth/status"]);
    expect(await w.waitFor("hearth/auth/status")).toBe("online");
    await w.close();
    expect(r.log.text()).toContain("mqtt");
    expect(r.log.text()).not.toContain(PASSWORD);
  });

  it("connects over TLS with the CA from tls.ca, and names the certificate problem without it", async () => {
    const dir = dataDir("hearth-mqtt-tls-");
    const key = join(dir, "key.pem");
    const cert = join(dir, "cert.pem");
    const gen = Bun.spawnSync(
      [
        "openssl",
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        key,
        "-out",
        cert,
        "-days",
        "1",
        "-subj",
        "/CN=127.0.0.1",
        "-addext",
        "subjectAltName=IP:127.0.0.1",
      ],
      { stderr: "pipe" },
    );
    expect(gen.exitCode).toBe(0);
    const broker = await startBroker({
      tls: { key: readFileSync(key, "utf8"), cert: readFileSync(cert, "utf8") },
    });
    brokers.push(broker);
    expect(broker.url.startsWith("mqtts://")).toBe(true);
    const config = { url: broker.url, reconnect: { minMs: 50, maxMs: 200 } };
    const good = await bootRuntime({
      plugins: [mqttPlugin()],
      overrides: { "plugins.mqtt.config": { ...config, nodeId: "tls-ok", tls: { ca: cert } } },
    });
    running.push(good);
    const bad = await bootRuntime({
      plugins: [mqttPlugin()],
      overrides: { "plugins.mqtt.config": { ...config, nodeId: "tls-bad" } },
    });
    running.push(bad);
    await until("the TLS connection", async () => (await health(good)).health?.status === "ok");
    await until("the certificate problem", async () =>
      /certificate/i.test((await health(bad)).health?.reason ?? ""),
    );

    // A CA file that is not there yet: the status says so and the plugin keeps trying until it is.
    const later = join(dir, "later-ca.pem");
    const waiting = await bootRuntime({
      plugins: [mqttPlugin()],
      overrides: { "plugins.mqtt.config": { ...config, nodeId: "tls-later", tls: { ca: later } } },
    });
    running.push(waiting);
    await until("the missing CA file", async () =>
      /later-ca\.pem|ENOENT|no such file/i.test((await health(waiting)).health?.reason ?? ""),
    );
    writeFileSync(later, readFileSync(cert, "utf8"));
    await until(
      "the connection once the CA file exists",
      async () => (await health(waiting)).health?.status === "ok",
    );
  });

  it("marks the node offline through its last will when the connection dies", async () => {
    const broker = await startBroker();
    brokers.push(broker);
    const w = await watch(broker.url, ["hearth/will/status"]);
    // A bare client with the plugin's options, so its socket can be cut without a goodbye.
    const { clientOptions } = await import("../../plugins/mqtt/connection.ts");
    const { configSchema, topicsOf } = await import("../../plugins/mqtt/config.ts");
    const { z } = await import("zod");
    const config = configSchema(z).parse({ url: broker.url, nodeId: "will" });
    const { connectAsync } = await import("mqtt");
    const client = await connectAsync(broker.url, await clientOptions({ config, topics: topicsOf(config) }));
    await client.publishAsync("hearth/will/status", "online", { qos: 1, retain: true });
    await w.waitFor("hearth/will/status", (p) => p === "online");
    client.stream.destroy();
    expect(await w.waitFor("hearth/will/status", (p) => p === "offline")).toBe("offline");
    await client.endAsync(true);
    await w.close();
  });

  it("idles without a URL and never loads the mqtt package", async () => {
    const script = join(import.meta.dir, "fixtures/mqtt-idle.ts");
    const proc = Bun.spawn([process.execPath, script], {
      stdout: "pipe",
      stderr: "pipe",
      cwd: join(import.meta.dir, "../.."),
    });
    const [code, out, err] = await Promise.all([
      proc.exited,
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
    ]);
    expect({ code, err: code === 0 ? "" : err }).toEqual({ code: 0, err: "" });
    expect(JSON.parse(out)).toEqual({ state: "started", health: null, mqttLoaded: false });
  });
});
