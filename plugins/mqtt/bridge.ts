/**
 * The running plugin: this node's devices out (retained info, state, availability, Home Assistant
 * discovery), commands in on `set` topics, bus events bridged out, and federation. Everything sent
 * goes through `send()`, which publishes when connected and queues (bounded, coalesced) when not.
 */
import type { MqttClient } from "mqtt";
import type { PluginContext } from "../../src/sdk/index.ts";
import { parseSet, RecentResults } from "./commands.ts";
import { type MqttConfig, safeUrl, type Topics, topicsOf } from "./config.ts";
import { runConnection } from "./connection.ts";
import { type DeviceView, infoOf, statePayload } from "./device.ts";
import { type DiscoveryContext, deviceEntries, nodeEntry } from "./discovery.ts";
import { Federation } from "./federation.ts";
import { OfflineQueue, type OutgoingMessage } from "./queue.ts";

type Ctx = PluginContext<MqttConfig>;

/** Storage key (namespace `mqtt`) of the discovery topics published per device, to clear them later. */
const PUBLISHED_KEY = "published";

export class Bridge {
  readonly #ctx: Ctx;
  readonly topics: Topics;
  readonly queue: OfflineQueue;
  readonly federation: Federation;
  readonly #recent = new RecentResults();
  readonly #discovery: DiscoveryContext;
  #client: MqttClient | undefined;
  /** Discovery config topics per exported device id. */
  #published = new Map<string, string[]>();
  #publishedLoaded = false;
  /** Counters for metrics and tests. */
  readonly stats = { published: 0, queued: 0, received: 0, commands: 0, rejected: 0, connects: 0 };

  constructor(ctx: Ctx) {
    this.#ctx = ctx;
    this.topics = topicsOf(ctx.config);
    this.queue = new OfflineQueue(ctx.config.queueSize);
    this.federation = new Federation(ctx, this.topics, (m) => this.send(m));
    this.#discovery = {
      nodeId: ctx.config.nodeId,
      prefix: ctx.config.discovery.prefix,
      base: this.topics.base,
      version: ctx.version,
    };
  }

  get connected(): boolean {
    return this.#client?.connected === true;
  }

  /** Publishes now, or queues while disconnected. Returns whether it went out now. */
  send(m: OutgoingMessage): boolean {
    const client = this.#client;
    if (client?.connected === true) {
      this.stats.published++;
      client.publish(m.topic, m.payload, { qos: m.qos, retain: m.retain }, (err) => {
        if (err !== undefined && err !== null)
          this.#ctx.log.debug({ topic: m.topic, err: err.message }, "publish failed");
      });
      return true;
    }
    this.stats.queued++;
    this.queue.push(m);
    return false;
  }

  #retained(topic: string, payload: string): void {
    this.send({ topic, payload, qos: this.#ctx.config.qos, retain: true, key: topic });
  }

  /** Subscribes to the bus; call once from onStart. */
  start(): void {
    const { events } = this.#ctx;
    const view = (id: string) => this.#ctx.state.get<DeviceView>(`devices/${id}`);
    const exported = (d: DeviceView | undefined): d is DeviceView =>
      d !== undefined && d.owner !== this.#ctx.name;
    events.subscribe<{ id: string }>("device.state_changed", (e) => {
      const d = view(e.payload.id);
      if (exported(d)) this.#retained(this.topics.device(d.id, "state"), JSON.stringify(statePayload(d)));
    });
    events.subscribe<{ id: string; available: boolean }>("device.availability_changed", (e) => {
      const d = view(e.payload.id);
      if (exported(d))
        this.#retained(this.topics.device(d.id, "availability"), e.payload.available ? "online" : "offline");
    });
    const changed = async (e: { payload: { id: string; device: DeviceView } }) => {
      if (exported(e.payload.device)) await this.#publishDevice(e.payload.device);
    };
    events.subscribe("device.announced", changed);
    events.subscribe("device.updated", changed);
    events.subscribe<{ id: string }>("device.removed", (e) => this.#unpublishDevice(e.payload.id));
    events.subscribe<{ id: string; action: string }>("device.action", (e) => {
      const d = view(e.payload.id);
      if (exported(d)) {
        this.send({
          topic: this.topics.device(d.id, "action"),
          payload: e.payload.action,
          qos: this.#ctx.config.qos,
          retain: false,
        });
      }
    });
    for (const pattern of this.#ctx.config.bridge.events) {
      events.subscribe(pattern, (e) => {
        if (e.type.startsWith("$")) return;
        this.send({
          topic: `${this.topics.base}/events/${e.type}`,
          payload: JSON.stringify(e.payload ?? null),
          qos: this.#ctx.config.qos,
          retain: false,
        });
      });
    }
    this.#ctx.services.register(
      "command",
      (p: { id: string; externalId: string; changes: Record<string, unknown> }) =>
        this.federation.command(p.externalId, p.changes, this.connected),
      {
        schema: this.#ctx.z.object({
          id: this.#ctx.z.string(),
          externalId: this.#ctx.z.string(),
          changes: this.#ctx.z.record(this.#ctx.z.string(), this.#ctx.z.unknown()),
        }),
      },
    );
    this.#ctx.services.register(
      "status",
      () => ({
        connected: this.connected,
        url: safeUrl(this.#ctx.config.url ?? ""),
        nodeId: this.#ctx.config.nodeId,
        baseTopic: this.topics.base,
        queueLength: this.queue.size,
        dropped: this.queue.dropped,
        ...this.stats,
      }),
      { idempotent: true },
    );
  }

  /** Runs the connection until the plugin stops (a ctx.task). */
  run(signal: AbortSignal): Promise<void> {
    return runConnection(
      { config: this.#ctx.config, topics: this.topics },
      {
        connected: (client) => this.#connected(client),
        message: (topic, payload) => this.#message(topic, payload),
        disconnected: (reason, retryMs) => {
          this.#client = undefined;
          this.federation.abandon();
          this.federation.disconnected();
          this.#ctx.integration.setStatus(
            "error",
            `broker unreachable (${reason}); retrying in ${Math.round(retryMs / 1000)} s`,
          );
          this.#ctx.log.warn({ reason, retryMs }, "mqtt disconnected");
        },
      },
      signal,
    );
  }

  async #connected(client: MqttClient): Promise<void> {
    const { config } = this.#ctx;
    this.stats.connects++;
    const filters = [`${this.topics.base}/devices/+/set`, ...this.federation.filters()];
    if (config.discovery.enabled) filters.push(`${config.discovery.prefix}/status`);
    await client.subscribeAsync(filters, { qos: Math.max(1, config.qos) as 1 | 2 });
    this.#client = client;
    client.publish(this.topics.status, "online", { qos: 1, retain: true });
    for (const m of this.queue.drain()) this.send(m);
    await this.#snapshot();
    this.#ctx.integration.setStatus("ok");
    this.#ctx.log.info({ url: safeUrl(config.url ?? ""), baseTopic: this.topics.base }, "mqtt connected");
  }

  async #loadPublished(): Promise<void> {
    if (this.#publishedLoaded) return;
    const saved = (await this.#ctx.storage.get(this.#ctx.name, PUBLISHED_KEY)) as
      | { devices?: Record<string, string[]> }
      | undefined;
    for (const [id, topics] of Object.entries(saved?.devices ?? {}))
      if (!this.#published.has(id)) this.#published.set(id, topics);
    this.#publishedLoaded = true;
  }

  async #savePublished(): Promise<void> {
    await this.#ctx.storage.set(this.#ctx.name, PUBLISHED_KEY, {
      devices: Object.fromEntries(this.#published),
    });
  }

  /** Everything retained, again (a broker restarted without persistence has lost it). */
  async #snapshot(): Promise<void> {
    await this.#loadPublished();
    const { devices } = await this.#ctx.services.call<{ devices: DeviceView[] }>("devices.list", {});
    const mine = devices.filter((d) => d.owner !== this.#ctx.name);
    const ids = new Set(mine.map((d) => d.id));
    for (const id of [...this.#published.keys()]) if (!ids.has(id)) await this.#unpublishDevice(id);
    if (this.#ctx.config.discovery.enabled) {
      const node = nodeEntry(this.#discovery);
      this.#retained(node.topic, JSON.stringify(node.config));
    }
    for (const d of mine) await this.#publishDevice(d, false);
    await this.#savePublished();
  }

  async #publishDevice(d: DeviceView, save = true): Promise<void> {
    this.#retained(this.topics.device(d.id, "info"), JSON.stringify(infoOf(d)));
    this.#retained(this.topics.device(d.id, "state"), JSON.stringify(statePayload(d)));
    this.#retained(this.topics.device(d.id, "availability"), d.available ? "online" : "offline");
    if (!this.#ctx.config.discovery.enabled) return;
    const entries = deviceEntries(d, this.#discovery);
    const before = this.#published.get(d.id) ?? [];
    const now = entries.map((e) => e.topic);
    for (const topic of before) if (!now.includes(topic)) this.#retained(topic, "");
    for (const e of entries) this.#retained(e.topic, JSON.stringify(e.config));
    this.#published.set(d.id, now);
    if (save && before.join() !== now.join()) await this.#savePublished();
  }

  async #unpublishDevice(id: string): Promise<void> {
    await this.#loadPublished();
    for (const leaf of ["info", "state", "availability"] as const)
      this.#retained(this.topics.device(id, leaf), "");
    const topics = this.#published.get(id);
    if (topics === undefined) return;
    for (const topic of topics) this.#retained(topic, "");
    this.#published.delete(id);
    await this.#savePublished();
  }

  #rediscover(): void {
    if (!this.#ctx.config.discovery.enabled) return;
    void this.#snapshot().catch((err: unknown) =>
      this.#ctx.log.warn(
        { err: err instanceof Error ? err.message : String(err) },
        "re-announce to Home Assistant failed",
      ),
    );
  }

  #message(topic: string, payload: Buffer): void {
    this.stats.received++;
    const { config } = this.#ctx;
    if (config.discovery.enabled && topic === `${config.discovery.prefix}/status`) {
      if (payload.toString() === "online") this.#rediscover();
      return;
    }
    const prefix = `${this.topics.base}/devices/`;
    if (topic.startsWith(prefix) && topic.endsWith("/set")) {
      const id = topic.slice(prefix.length, -"/set".length);
      if (!id.includes("/")) {
        void this.#command(id, payload).catch((err: unknown) =>
          this.#ctx.log.warn(
            { device: id, err: err instanceof Error ? err.message : String(err) },
            "set handling failed",
          ),
        );
        return;
      }
    }
    this.federation.handle(topic, payload);
  }

  async #command(id: string, payload: Buffer): Promise<void> {
    const resultTopic = this.topics.device(id, "set/result");
    const reply = (body: Record<string, unknown>) => {
      const text = JSON.stringify(body);
      this.send({
        topic: resultTopic,
        payload: text,
        qos: Math.max(1, this.#ctx.config.qos) as 1 | 2,
        retain: false,
      });
      return text;
    };
    const parsed = parseSet(payload, this.#ctx.config.maxPayloadBytes);
    const rid = parsed.requestId === undefined ? {} : { requestId: parsed.requestId };
    if (!parsed.ok) {
      this.stats.rejected++;
      reply({ ok: false, id, ...rid, error: { code: parsed.code, message: parsed.message } });
      return;
    }
    if (parsed.requestId !== undefined) {
      const seen = this.#recent.get(parsed.requestId);
      if (seen !== undefined) {
        this.send({ topic: resultTopic, payload: seen, qos: 1, retain: false });
        return;
      }
    }
    const d = this.#ctx.state.get<DeviceView>(`devices/${id}`);
    let text: string;
    if (d === undefined || d.owner === this.#ctx.name) {
      this.stats.rejected++;
      text = reply({
        ok: false,
        id,
        ...rid,
        error: { code: "NOT_FOUND", message: `No device "${id}" on node ${this.#ctx.config.nodeId}` },
      });
    } else {
      try {
        this.stats.commands++;
        const after = await this.#ctx.services.call<DeviceView>("devices.command", {
          id,
          changes: parsed.changes,
        });
        text = reply({ ok: true, id, ...rid, state: after.state });
      } catch (err) {
        this.stats.rejected++;
        const e = this.#ctx.errors.is(err)
          ? { code: err.code, message: err.message, ...(err.data === undefined ? {} : { data: err.data }) }
          : { code: "INTERNAL_ERROR", message: "the command failed" };
        text = reply({ ok: false, id, ...rid, error: e });
      }
    }
    if (parsed.requestId !== undefined) this.#recent.set(parsed.requestId, text);
  }
}
