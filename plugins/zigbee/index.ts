/**
 * The zigbee plugin: a Zigbee coordinator on a stick (Z-Stack/ZNP first) through zigbee-herdsman,
 * devices mapped from their clusters to Hearth capabilities through the devices module.
 *
 * herdsman is imported lazily, inside the network task, so a runtime without this plugin enabled
 * pays nothing for it. Its serial port goes through `@serialport/bindings-cpp`, which Hearth
 * resolves to a shim over its Bun binding; the plugin puts `ctx.hardware.serial.binding` in the
 * shim's slot so the port is the plugin's own (closed when it stops, refused to other plugins).
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Controller as HerdsmanController } from "zigbee-herdsman";
import { definePlugin, type PluginContext } from "../../src/sdk/index.ts";
import { type AvailabilityDevice, createAvailability } from "./availability.ts";
import {
  CLUSTER,
  commandsFor,
  type EndpointLike,
  iasCapability,
  REPORTING,
  shapeOf,
  stateFromMessage,
} from "./mapping.ts";

interface ZigbeeConfig {
  /** A device path, `auto` (a known stick under /dev/serial/by-id) or `tcp://host:port`. */
  port: string;
  adapter: "zstack" | "ember" | "deconz" | "zboss";
  baudRate: number;
  /** 11-26; used when the network is first formed. */
  channel: number;
  /** First-start overrides; otherwise generated once and kept in the `zigbee.secrets` namespace. */
  panId?: number | undefined;
  extendedPanId?: string | undefined;
  networkKey?: string | undefined;
  /** Open joining for this many seconds at start (0 = closed, the default). */
  permitJoinSeconds: number;
  /** Reconnect backoff bounds, ms. */
  retryMinMs: number;
  retryMaxMs: number;
  /** Silence after which a mains-powered device is pinged (0 = never); see availability.ts. */
  pingIntervalMs: number;
}

interface NetworkSecrets {
  panId: number;
  extendedPanId: string;
  networkKey: string;
  channel: number;
}

type Controller = HerdsmanController;
type Device = ReturnType<Controller["getDevices"]>[number];

const SECRETS = "zigbee.secrets";
const interviewed = (d: Device) => d.interviewState === "SUCCESSFUL";
/** Where the shim looks for the binding of libraries resolving `@serialport/bindings-cpp`. */
const HOST_BINDING = Symbol.for("hearth.serialport.binding");
const HEX16 = /^[0-9a-f]{16}$/;
const HEX32 = /^[0-9a-f]{32}$/;

const randomHex = (bytes: number) =>
  Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString("hex");
const hexBytes = (hex: string) => [...Buffer.from(hex, "hex")];

/** Network parameters: stored ones, else the config's, else new random ones (stored once). */
async function networkSecrets(ctx: PluginContext<ZigbeeConfig>): Promise<NetworkSecrets> {
  const stored = (await ctx.storage.get(SECRETS, "network")) as NetworkSecrets | undefined;
  if (stored) return stored;
  const fresh: NetworkSecrets = {
    panId: ctx.config.panId ?? 1 + Math.floor(Math.random() * 0xfff0),
    extendedPanId: ctx.config.extendedPanId ?? randomHex(8),
    networkKey: ctx.config.networkKey ?? randomHex(16),
    channel: ctx.config.channel,
  };
  await ctx.storage.set(SECRETS, "network", fresh as unknown as Record<string, never>);
  ctx.log.info({ panId: fresh.panId, channel: fresh.channel }, "zigbee network parameters generated");
  return fresh;
}

/** The stick's path: as configured, or the first known Z-Stack stick for `auto`. */
async function resolvePort(ctx: PluginContext<ZigbeeConfig>): Promise<string> {
  if (ctx.config.port !== "auto") return ctx.config.port;
  const ports = await ctx.hardware.serial.list();
  const stick = ports.find((p) => p.adapter?.stack === ctx.config.adapter) ?? ports.find((p) => p.adapter);
  if (!stick) throw ctx.errors.create("SERIAL_PORT_NOT_FOUND", "no known Zigbee stick is plugged in");
  return stick.byId ?? stick.path;
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

/** Imports herdsman once, keeping `BigInt.prototype.toJSON` as it was (herdsman patches it globally). */
let herdsman: Promise<typeof import("zigbee-herdsman")> | undefined;
function loadHerdsman(ctx: PluginContext<ZigbeeConfig>): Promise<typeof import("zigbee-herdsman")> {
  herdsman ??= (async () => {
    const before = Object.getOwnPropertyDescriptor(BigInt.prototype, "toJSON");
    const mod = await import("zigbee-herdsman");
    const { setLogger } = await import("zigbee-herdsman/dist/utils/logger.js");
    if (before) Object.defineProperty(BigInt.prototype, "toJSON", before);
    else delete (BigInt.prototype as { toJSON?: unknown }).toJSON;
    const text = (m: unknown) => (typeof m === "function" ? String(m()) : String(m));
    setLogger({
      debug: (m, ns) => ctx.log.debug({ ns }, text(m)),
      info: (m, ns) => ctx.log.debug({ ns }, text(m)),
      warning: (m, ns) => ctx.log.warn({ ns }, text(m)),
      error: (m, ns) => ctx.log.error({ ns }, text(m)),
    });
    return mod;
  })();
  return herdsman;
}

export default definePlugin<ZigbeeConfig>({
  configSchema: (z) =>
    z.object({
      port: z.string().min(1).default("auto"),
      adapter: z.enum(["zstack", "ember", "deconz", "zboss"]).default("zstack"),
      baudRate: z.int().min(9600).max(4_000_000).default(115200),
      channel: z.int().min(11).max(26).default(15),
      panId: z.int().min(1).max(0xfff7).optional(),
      extendedPanId: z.string().regex(HEX16, "16 hex digits").optional(),
      networkKey: z.string().regex(HEX32, "32 hex digits").optional(),
      permitJoinSeconds: z.int().min(0).max(254).default(0),
      retryMinMs: z.int().min(100).default(1000),
      retryMaxMs: z.int().min(100).default(30_000),
      pingIntervalMs: z.int().min(0).default(300_000),
    }),

  async onStart(ctx) {
    const dir = ctx.dataDir;
    const paths = {
      database: join(dir, "database.db"),
      databaseBackup: join(dir, "database.db.backup"),
      backup: join(dir, "coordinator_backup.json"),
    };
    // The coordinator backup holds the network key: kept in the secret namespace (so `hearth backup`
    // carries it) and written back to disk when a restored data directory lacks it.
    const savedBackup = (await ctx.storage.get(SECRETS, "coordinator_backup")) as
      | { json?: string }
      | undefined;
    if (!existsSync(paths.backup) && typeof savedBackup?.json === "string")
      writeFileSync(paths.backup, savedBackup.json, { mode: 0o600 });
    const saveBackup = async () => {
      if (existsSync(paths.backup))
        await ctx.storage.set(SECRETS, "coordinator_backup", {
          json: readFileSync(paths.backup, "utf8"),
        } as unknown as Record<string, never>);
    };

    let controller: Controller | undefined;
    const iasCap = new Map<string, string>();
    const availability = createAvailability({
      pingIntervalMs: ctx.config.pingIntervalMs,
      setAvailable: (ieee, available) =>
        ctx.services.call("devices.set_available", { externalId: ieee, available }).then(() => undefined),
      log: ctx.log,
    });
    const need = (): Controller => {
      if (controller === undefined)
        throw ctx.errors.create(
          "DEVICE_UNAVAILABLE",
          "the Zigbee network is not up (is the stick plugged in?)",
        );
      return controller;
    };
    const device = (ieee: string): Device => {
      const d = need().getDeviceByIeeeAddr(ieee);
      if (d === undefined) throw ctx.errors.create("NOT_FOUND", `no Zigbee device ${ieee}`);
      return d;
    };
    const report = (ieee: string, state: Record<string, unknown>) =>
      Object.keys(state).length === 0
        ? Promise.resolve()
        : ctx.services.call("devices.report", { externalId: ieee, state }).then(() => undefined);

    const announce = async (d: Device): Promise<void> => {
      if (d.type === "Coordinator" || !interviewed(d)) return;
      const endpoints = d.endpoints as unknown as EndpointLike[];
      const shape = shapeOf(endpoints);
      const ias = endpoints.find((e) => e.inputClusters.includes(CLUSTER.ssIasZone));
      if (ias) iasCap.set(d.ieeeAddr, iasCapability(ias.getClusterAttributeValue("ssIasZone", "zoneType")));
      await ctx.services.call("devices.announce", {
        externalId: d.ieeeAddr,
        name: `${d.manufacturerName ?? "Zigbee"} ${d.modelID ?? d.ieeeAddr}`.trim().slice(0, 128),
        type: shape.type,
        capabilities: shape.capabilities,
        attributes: {
          ieee: d.ieeeAddr,
          nwk: d.networkAddress,
          manufacturer: d.manufacturerName ?? null,
          model: d.modelID ?? null,
          powerSource: d.powerSource ?? null,
          zigbeeType: d.type,
        },
      });
    };

    /** After an interview: learn the IAS zone type, bind and configure reporting (failures logged). */
    const configure = async (d: Device): Promise<void> => {
      const coordinatorEp = need().getDevicesByType("Coordinator")[0]?.getEndpoint(1);
      for (const ep of d.endpoints) {
        if (ep.inputClusters.includes(CLUSTER.ssIasZone)) {
          await ep
            .read("ssIasZone", ["zoneType", "zoneStatus"])
            .catch((err: unknown) => ctx.log.debug({ err: String(err) }, "zoneType read failed"));
        }
        if (ep.inputClusters.includes(CLUSTER.lightingColorCtrl)) {
          await ep
            .read("lightingColorCtrl", ["colorCapabilities", "colorTempPhysicalMin", "colorTempPhysicalMax"])
            .catch(() => undefined);
        }
        for (const [cluster, attrs] of Object.entries(REPORTING)) {
          if (!ep.inputClusters.includes(CLUSTER[cluster as keyof typeof CLUSTER])) continue;
          try {
            if (coordinatorEp) await ep.bind(cluster, coordinatorEp);
            await ep.configureReporting(
              cluster,
              attrs.map((a) => ({
                // attribute names, which herdsman resolves in the cluster
                attribute: a.attribute,
                minimumReportInterval: a.min,
                maximumReportInterval: a.max,
                reportableChange: a.change,
              })) as unknown as Parameters<typeof ep.configureReporting>[1],
            );
          } catch (err) {
            ctx.log.warn({ ieee: d.ieeeAddr, cluster, err: String(err) }, "configuring reporting failed");
          }
        }
      }
    };

    ctx.services.register(
      "permit_join",
      async (p: { seconds: number; device?: string }) => {
        const target = p.device === undefined ? undefined : device(p.device);
        await need().permitJoin(p.seconds, target);
        return { seconds: p.seconds };
      },
      { schema: ctx.z.object({ seconds: ctx.z.int().min(0).max(254), device: ctx.z.string().optional() }) },
    );
    ctx.services.register("devices", () =>
      need()
        .getDevices()
        .filter((d) => d.type !== "Coordinator")
        .map((d) => ({
          ieee: d.ieeeAddr,
          nwk: d.networkAddress,
          type: d.type,
          manufacturer: d.manufacturerName ?? null,
          model: d.modelID ?? null,
          interviewed: interviewed(d),
          lastSeen: d.lastSeen ?? null,
          endpoints: d.endpoints.map((e) => ({
            id: e.ID,
            inClusters: e.inputClusters,
            outClusters: e.outputClusters,
          })),
        })),
    );
    ctx.services.register(
      "remove",
      async (p: { ieee: string; force?: boolean }) => {
        const d = device(p.ieee);
        if (p.force === true) d.removeFromDatabase();
        else await d.removeFromNetwork();
        await ctx.services.call("devices.forget", { externalId: p.ieee }).catch(() => undefined);
        return { removed: p.ieee };
      },
      { schema: ctx.z.object({ ieee: ctx.z.string(), force: ctx.z.boolean().optional() }) },
    );
    ctx.services.register(
      "interview",
      async (p: { ieee: string }) => {
        const d = device(p.ieee);
        await d.interview(true);
        await configure(d);
        await announce(d);
        return { ieee: p.ieee, interviewed: interviewed(d) };
      },
      { schema: ctx.z.object({ ieee: ctx.z.string() }) },
    );
    ctx.services.register("backup", async () => {
      await need().backup();
      await saveBackup();
      return { path: paths.backup, at: new Date().toISOString() };
    });
    ctx.services.register(
      "command",
      async (p: { id: string; externalId: string; changes: Record<string, unknown> }) => {
        const d = device(p.externalId);
        const shape = shapeOf(d.endpoints as unknown as EndpointLike[]);
        const confirmed: Record<string, unknown> = {};
        for (const c of commandsFor(p.changes)) {
          const epId = shape.endpointOf[c.capability] ?? shape.endpointOf.on_off;
          const ep = epId === undefined ? undefined : d.getEndpoint(epId);
          if (!ep) throw ctx.errors.create("INVALID_ARGUMENT", `${p.externalId} cannot do ${c.capability}`);
          await ep.command(c.cluster, c.command, c.payload as never);
          confirmed[c.capability] = p.changes[c.capability];
          if (c.capability === "brightness" && c.command === "moveToLevelWithOnOff")
            confirmed.on_off = (p.changes.brightness as number) > 0;
        }
        // The device acknowledged each command (ZCL default response): its state is what was asked.
        await report(p.externalId, confirmed);
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

    ctx.task("network", async (signal) => {
      let Controller: Awaited<ReturnType<typeof loadHerdsman>>["Controller"];
      let secrets: Awaited<ReturnType<typeof networkSecrets>>;
      try {
        ({ Controller } = await loadHerdsman(ctx));
        secrets = await networkSecrets(ctx);
      } catch (err) {
        // Nothing to retry: say why in the status (the task's failure is logged and counted too).
        ctx.integration.setStatus(
          "error",
          `cannot start the network: ${err instanceof Error ? err.message : String(err)}`,
        );
        throw err;
      }
      let delay = ctx.config.retryMinMs;
      while (!signal.aborted) {
        let disconnected: () => void = () => undefined;
        const gone = new Promise<void>((resolve) => {
          disconnected = resolve;
        });
        let path = ctx.config.port;
        try {
          path = await resolvePort(ctx);
          (globalThis as Record<symbol, unknown>)[HOST_BINDING] = ctx.hardware.serial.binding;
          const c = new Controller({
            network: {
              panID: secrets.panId,
              extendedPanID: hexBytes(secrets.extendedPanId),
              channelList: [secrets.channel],
              networkKey: hexBytes(secrets.networkKey),
            },
            serialPort: { path, adapter: ctx.config.adapter, baudRate: ctx.config.baudRate },
            databasePath: paths.database,
            databaseBackupPath: paths.databaseBackup,
            backupPath: paths.backup,
            adapter: { disableLED: false },
          } as ConstructorParameters<typeof Controller>[0]);
          c.on("adapterDisconnected", () => disconnected());
          c.on(
            "deviceJoined",
            (e) =>
              void ctx.events.publish("zigbee.device_joined", {
                ieee: e.device.ieeeAddr,
                nwk: e.device.networkAddress,
              }),
          );
          c.on("deviceLeave", (e) => {
            void ctx.events.publish("zigbee.device_left", { ieee: e.ieeeAddr });
            availability.lost(e.ieeeAddr);
          });
          c.on("lastSeenChanged", (e) => {
            if (interviewed(e.device)) availability.seen(e.device as unknown as AvailabilityDevice);
          });
          c.on("deviceInterview", (e) => {
            if (e.status === "started") return;
            void ctx.events.publish("zigbee.device_interviewed", {
              ieee: e.device.ieeeAddr,
              status: e.status,
              model: e.device.modelID ?? null,
            });
            if (e.status === "successful") {
              void configure(e.device)
                .then(() => announce(e.device))
                .catch((err: unknown) =>
                  ctx.log.warn({ ieee: e.device.ieeeAddr, err: String(err) }, "announcing the device failed"),
                );
            }
          });
          c.on("message", (e) => {
            const state = stateFromMessage(
              e.type,
              String(e.cluster),
              e.data as unknown as Record<string, unknown>,
              iasCap.get(e.device.ieeeAddr),
            );
            void report(e.device.ieeeAddr, state).catch((err: unknown) =>
              ctx.log.debug({ err: String(err) }, "report not taken"),
            );
          });
          controller = c;
          const started = await c.start();
          if (signal.aborted) break;
          ctx.log.info({ port: path, started }, "zigbee network up");
          ctx.integration.setStatus("ok");
          delay = ctx.config.retryMinMs;
          await saveBackup();
          for (const d of c.getDevices())
            await announce(d).catch((err: unknown) =>
              ctx.log.warn({ err: String(err) }, "re-announce failed"),
            );
          if (ctx.config.permitJoinSeconds > 0) await c.permitJoin(ctx.config.permitJoinSeconds);
          // While the network is up: ping silent mains devices (one at a time, between pauses).
          const up = new AbortController();
          const stopUp = () => up.abort();
          signal.addEventListener("abort", stopUp, { once: true });
          void gone.then(stopUp);
          // Not awaited: a ping in flight when the stick goes away ends when the controller stops.
          // The first sweep, at once, pings every mains device: after a replug (or a restart while
          // the stick was away) they are unavailable, and a quiet bulb would refuse commands until
          // it spoke or `pingIntervalMs` passed.
          void (async () => {
            let all = true;
            while (!up.signal.aborted) {
              if (!all) await pause(availability.sweepEveryMs, up.signal);
              await availability
                .sweep(c.getDevices() as unknown as AvailabilityDevice[], up.signal, { all })
                .catch((err: unknown) => ctx.log.debug({ err: String(err) }, "availability sweep failed"));
              all = false;
            }
          })();
          await new Promise<void>((resolve) => {
            up.signal.addEventListener("abort", () => resolve(), { once: true });
            if (signal.aborted) stopUp();
          });
          signal.removeEventListener("abort", stopUp);
          if (!signal.aborted) {
            ctx.integration.setStatus("error", `the Zigbee stick at ${path} was disconnected; reconnecting`);
            for (const d of c.getDevices())
              if (d.type !== "Coordinator" && interviewed(d)) availability.lost(d.ieeeAddr);
          }
        } catch (err) {
          if (signal.aborted) break;
          ctx.integration.setStatus(
            "error",
            `the Zigbee stick at ${path} is not available (${ctx.errors.is(err) ? err.code : String(err).slice(0, 200)}); retrying in ${Math.round(delay / 1000)} s`,
          );
          ctx.log.warn({ port: path, err: String(err) }, "zigbee network start failed");
        } finally {
          const c = controller;
          controller = undefined;
          await c?.stop().catch(() => undefined);
          c?.removeAllListeners();
        }
        if (signal.aborted) break;
        await pause(delay, signal);
        delay = Math.min(ctx.config.retryMaxMs, delay * 2);
      }
      await saveBackup().catch(() => undefined);
    });
  },

  onStop() {
    const slot = globalThis as Record<symbol, unknown>;
    delete slot[HOST_BINDING];
  },
});
