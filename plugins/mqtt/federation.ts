/**
 * Federation: other nodes' devices in this node's registry. Their retained `info`, `state` and
 * `availability` (and the node's `status`) become devices owned by this plugin with externalId
 * `<nodeId>.<id>`; a command to one goes out on the owning node's `set` topic and waits for its
 * `set/result`; the change is confirmed when its state comes back. Imported devices are never
 * exported again (see bridge.ts), and this node's own topics are never imported: no loops.
 */
import type { PluginContext } from "../../src/sdk/index.ts";
import type { MqttConfig, Topics } from "./config.ts";
import { type DeviceInfo, stateFromPayload } from "./device.ts";
import type { OutgoingMessage } from "./queue.ts";

/** Imported devices kept at most (all nodes together). */
const MAX_REMOTES = 2000;
/** What a node id or a device id on the wire may look like. */
const REMOTE_ID = /^[a-z0-9][a-z0-9_-]{0,79}$/;

/** Never expire an imported device by silence: its own node says when it is unavailable. */
const NO_SILENCE_TIMEOUT = 2_147_483_647;

/** Codes a remote node's result may carry that this node throws as they are. */
const PASSED_THROUGH = new Set([
  "VALIDATION_FAILED",
  "DEVICE_UNAVAILABLE",
  "DEVICE_COMMAND_TIMEOUT",
  "NOT_FOUND",
  "INVALID_JSON",
  "PAYLOAD_TOO_LARGE",
  "SERVICE_TIMEOUT",
]);

interface Remote {
  node: string;
  id: string;
  info?: DeviceInfo;
  state?: Record<string, unknown>;
  /** The device's own availability topic (undefined until heard). */
  online?: boolean;
  announced: boolean;
  /** What this node last set, to skip repeats. */
  available?: boolean;
}

interface Pending {
  resolve: (result: Record<string, unknown>) => void;
  timer: ReturnType<typeof setTimeout>;
}

type Ctx = PluginContext<MqttConfig>;

export class Federation {
  readonly #ctx: Ctx;
  readonly #topics: Topics;
  readonly #send: (m: OutgoingMessage) => boolean;
  readonly #remotes = new Map<string, Remote>();
  #fullWarned = false;
  readonly #nodes = new Map<string, boolean>();
  readonly #pending = new Map<string, Pending>();
  /** The prefix other nodes live under, with a trailing `/`. */
  readonly #root: string;
  /** Work on one device is done in order. */
  #chain = new Map<string, Promise<void>>();

  constructor(ctx: Ctx, topics: Topics, send: (m: OutgoingMessage) => boolean) {
    this.#ctx = ctx;
    this.#topics = topics;
    this.#send = send;
    this.#root = topics.nodeBase("");
  }

  get enabled(): boolean {
    const imp = this.#ctx.config.import;
    return imp === "*" || imp.length > 0;
  }

  /** Topic filters to subscribe to. */
  filters(): string[] {
    const imp = this.#ctx.config.import;
    const nodes = imp === "*" ? ["+"] : imp.filter((n) => n !== this.#ctx.config.nodeId);
    return nodes.flatMap((n) => {
      const b = this.#topics.nodeBase(n);
      return [
        `${b}/status`,
        `${b}/devices/+/info`,
        `${b}/devices/+/state`,
        `${b}/devices/+/availability`,
        `${b}/devices/+/action`,
        `${b}/devices/+/set/result`,
      ];
    });
  }

  #imports(node: string): boolean {
    if (node === this.#ctx.config.nodeId) return false;
    const imp = this.#ctx.config.import;
    return imp === "*" || imp.includes(node);
  }

  /** Takes a message if it is another node's; returns false if it is not for federation. */
  handle(topic: string, payload: Buffer): boolean {
    if (!this.enabled || !topic.startsWith(this.#root)) return false;
    const parts = topic.slice(this.#root.length).split("/");
    const node = parts[0] ?? "";
    if (!this.#imports(node)) return false;
    if (parts.length === 2 && parts[1] === "status") {
      const online = payload.toString() === "online";
      this.#nodes.set(node, online);
      for (const r of this.#remotes.values())
        if (r.node === node) this.#queue(r, () => this.#applyAvailability(r));
      return true;
    }
    if (parts[1] !== "devices" || parts.length < 4) return false;
    const id = parts[2] as string;
    const leaf = parts.slice(3).join("/");
    if (leaf === "set/result") {
      this.#result(payload);
      return true;
    }
    const key = `${node}.${id}`;
    let r = this.#remotes.get(key);
    if (r === undefined) {
      // Anyone on the broker can publish under an imported node's topics: take only ids that can be
      // device ids, and only so many, so a flood of made-up devices cannot grow this without end.
      if (!REMOTE_ID.test(id) || !REMOTE_ID.test(node)) return true;
      if (this.#remotes.size >= MAX_REMOTES) {
        if (!this.#fullWarned)
          this.#ctx.log.warn({ max: MAX_REMOTES }, "too many imported devices: ignoring new ones");
        this.#fullWarned = true;
        return true;
      }
      r = { node, id, announced: false };
      this.#remotes.set(key, r);
    }
    const remote = r;
    const text = payload.toString();
    switch (leaf) {
      case "info":
        if (text === "") this.#queue(remote, () => this.#forget(remote));
        else {
          const info = parseObject(text) as DeviceInfo | undefined;
          if (info === undefined) return true;
          remote.info = info;
          this.#queue(remote, () => this.#announce(remote));
        }
        return true;
      case "state": {
        if (text === "") return true;
        const state = parseObject(text);
        if (state === undefined) return true;
        remote.state = state;
        this.#queue(remote, () => this.#report(remote));
        return true;
      }
      case "availability":
        if (text === "") return true;
        remote.online = text === "online";
        this.#queue(remote, () => this.#applyAvailability(remote));
        return true;
      case "action":
        if (remote.announced && text !== "") {
          this.#queue(remote, async () => {
            await this.#ctx.services.call("devices.report", { externalId: key, state: { action: text } });
          });
        }
        return true;
      default:
        return false;
    }
  }

  #queue(r: Remote, work: () => Promise<void>): void {
    const key = `${r.node}.${r.id}`;
    const next = (this.#chain.get(key) ?? Promise.resolve())
      .then(work)
      .catch((err: unknown) =>
        this.#ctx.log.warn(
          { device: key, err: err instanceof Error ? err.message : String(err) },
          "imported device update failed",
        ),
      );
    this.#chain.set(key, next);
    void next.then(() => {
      if (this.#chain.get(key) === next) this.#chain.delete(key);
    });
  }

  #effective(r: Remote): boolean {
    return this.#nodes.get(r.node) !== false && r.online !== false;
  }

  async #announce(r: Remote): Promise<void> {
    const info = r.info;
    if (info === undefined) return;
    await this.#ctx.services.call("devices.announce", {
      externalId: `${r.node}.${r.id}`,
      name: info.name,
      type: info.type,
      capabilities: info.capabilities,
      attributes: { ...info.attributes, node: r.node, remoteId: r.id },
      ...(info.area === null || info.area === undefined ? {} : { area: info.area }),
      availableTimeoutMs: NO_SILENCE_TIMEOUT,
    });
    r.announced = true;
    r.available = undefined;
    await this.#report(r);
    await this.#applyAvailability(r);
  }

  async #report(r: Remote): Promise<void> {
    if (!r.announced || r.state === undefined || r.info === undefined || !this.#effective(r)) return;
    const state = stateFromPayload(r.state, r.info.capabilities);
    if (Object.keys(state).length === 0) return;
    await this.#ctx.services.call("devices.report", { externalId: `${r.node}.${r.id}`, state });
    r.available = true;
  }

  async #applyAvailability(r: Remote): Promise<void> {
    if (!r.announced) return;
    const available = this.#effective(r);
    if (available && r.available !== true && r.state !== undefined) {
      await this.#report(r);
      if ((r.available as boolean | undefined) === true) return;
    }
    if (r.available === available) return;
    await this.#ctx.services.call("devices.set_available", { externalId: `${r.node}.${r.id}`, available });
    r.available = available;
  }

  async #forget(r: Remote): Promise<void> {
    this.#remotes.delete(`${r.node}.${r.id}`);
    if (!r.announced) return;
    await this.#ctx.services.call("devices.forget", { externalId: `${r.node}.${r.id}` });
  }

  #result(payload: Buffer): void {
    const body = parseObject(payload.toString());
    const requestId = body?.requestId;
    if (typeof requestId !== "string") return;
    const p = this.#pending.get(requestId);
    if (p === undefined || body === undefined) return;
    this.#pending.delete(requestId);
    clearTimeout(p.timer);
    p.resolve(body);
  }

  /** `mqtt.command` for an imported device: out on its node's `set` topic, answered by `set/result`. */
  async command(
    externalId: string,
    changes: Record<string, unknown>,
    connected: boolean,
  ): Promise<{ accepted: true }> {
    const dot = externalId.indexOf(".");
    const node = externalId.slice(0, dot);
    const id = externalId.slice(dot + 1);
    if (dot <= 0 || !this.#imports(node)) {
      throw this.#ctx.errors.create("NOT_FOUND", `"${externalId}" is not a device imported over MQTT`);
    }
    if (!connected) {
      throw this.#ctx.errors.create(
        "DEVICE_UNAVAILABLE",
        `The MQTT broker is not connected: the command to ${node}/${id} was not sent`,
        { node, id },
      );
    }
    const requestId = crypto.randomUUID();
    const timeoutMs = this.#ctx.config.commandTimeoutMs;
    const answer = new Promise<Record<string, unknown> | undefined>((resolve) => {
      const timer = setTimeout(() => {
        this.#pending.delete(requestId);
        resolve(undefined);
      }, timeoutMs);
      this.#pending.set(requestId, { resolve, timer });
    });
    this.#send({
      topic: `${this.#topics.nodeBase(node)}/devices/${id}/set`,
      payload: JSON.stringify({ changes, requestId, from: this.#ctx.config.nodeId }),
      qos: 1,
      retain: false,
    });
    const result = await answer;
    if (result === undefined) {
      throw this.#ctx.errors.create(
        "DEVICE_COMMAND_TIMEOUT",
        `Node "${node}" did not answer the command to ${id} within ${timeoutMs} ms`,
        { node, id },
      );
    }
    if (result.ok === true) return { accepted: true };
    const error = (result.error ?? {}) as { code?: string; message?: string; data?: unknown };
    const code =
      typeof error.code === "string" && PASSED_THROUGH.has(error.code) ? error.code : "DEVICE_UNAVAILABLE";
    throw this.#ctx.errors.create(
      code as "NOT_FOUND",
      `Node "${node}" refused the command to ${id}: ${error.message ?? "no reason given"}`,
      error.data ?? { node, id, code: error.code },
    );
  }

  /** Fails every command still waiting (the connection is gone). */
  abandon(): void {
    for (const [id, p] of this.#pending) {
      clearTimeout(p.timer);
      this.#pending.delete(id);
      p.resolve({
        ok: false,
        error: { code: "DEVICE_UNAVAILABLE", message: "the MQTT connection was lost before the answer" },
      });
    }
  }

  /** The node's devices after the connection was lost: unknown until heard again. */
  disconnected(): void {
    for (const node of this.#nodes.keys()) this.#nodes.set(node, false);
    for (const r of this.#remotes.values()) this.#queue(r, () => this.#applyAvailability(r));
  }
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === "object" && v !== null && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
