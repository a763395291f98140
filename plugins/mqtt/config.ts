/** The mqtt plugin's configuration (`plugins.mqtt.config`) and the topics derived from it. */
import { hostname } from "node:os";
import type { PluginContext } from "../../src/sdk/index.ts";

type Zod = PluginContext["z"];

/** A node id is one MQTT topic level and one Home Assistant node_id: no `/`, `+`, `#` or spaces. */
export const NODE_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** This machine's host name as a node id (`Pi-Garage.local` → `pi-garage`). */
export function defaultNodeId(): string {
  const slug = hostname()
    .split(".")[0]
    ?.toLowerCase()
    .replace(/[^a-z0-9_-]+/g, "-")
    .replace(/^[-_]+|-+$/g, "")
    .slice(0, 64);
  return slug !== undefined && NODE_ID.test(slug) ? slug : "hearth";
}

export function configSchema(z: Zod) {
  const nodeId = z
    .string()
    .regex(NODE_ID, "a node id of [a-z0-9_-], 1-64 chars, starting with a letter or digit");
  return z.strictObject({
    /** `mqtt://host:1883`, `mqtts://host:8883`, `ws://host:9001/mqtt`, `wss://…`. Unset: the plugin idles. */
    url: z
      .string()
      .regex(/^(mqtts?|wss?|tcp|ssl):\/\/[^\s]+$/, "an mqtt://, mqtts://, ws:// or wss:// URL")
      .optional(),
    nodeId: nodeId.default(defaultNodeId),
    username: z.string().min(1).optional(),
    password: z.string().min(1).optional(),
    clientId: z.string().min(1).max(128).optional(),
    /** Default `hearth/<nodeId>`. */
    baseTopic: z
      .string()
      .regex(/^[^#+\s]+[^/#+\s]$|^[^#+/\s]$/, "a topic without wildcards, spaces or a trailing /")
      .optional(),
    qos: z.union([z.literal(0), z.literal(1), z.literal(2)]).default(1),
    keepalive: z.int().min(5).max(3600).default(30),
    connectTimeoutMs: z.int().min(500).max(120_000).default(10_000),
    reconnect: z
      .strictObject({
        minMs: z.int().min(50).max(60_000).default(1000),
        maxMs: z.int().min(100).max(3_600_000).default(30_000),
      })
      .default({ minMs: 1000, maxMs: 30_000 }),
    discovery: z
      .strictObject({
        enabled: z.boolean().default(true),
        prefix: z
          .string()
          .regex(/^[^#+\s]+$/)
          .default("homeassistant"),
      })
      .default({ enabled: true, prefix: "homeassistant" }),
    /** Other nodes whose devices appear here: node ids, or `"*"` for every node on the broker. */
    import: z.union([z.literal("*"), z.array(nodeId).max(64)]).default([]),
    /** How long a command to another node waits for its `set/result`. */
    commandTimeoutMs: z.int().min(100).max(60_000).default(5000),
    /** Largest payload accepted on a `set` topic. */
    maxPayloadBytes: z.int().min(64).max(1_048_576).default(16_384),
    /** Messages kept while disconnected (device state is coalesced to the latest per device). */
    queueSize: z.int().min(0).max(100_000).default(1000),
    /** Bus events (patterns such as `automation.*`) published on `<base>/events/<type>`. */
    bridge: z
      .strictObject({ events: z.array(z.string().min(1)).max(32).default([]) })
      .default({ events: [] }),
    tls: z
      .strictObject({
        /** Paths of PEM files. */
        ca: z.string().optional(),
        cert: z.string().optional(),
        key: z.string().optional(),
        rejectUnauthorized: z.boolean().default(true),
      })
      .optional(),
  });
}

export type MqttConfig = ReturnType<ReturnType<typeof configSchema>["parse"]>;

/** Where this node's topics live, and where another node's are. */
export interface Topics {
  base: string;
  status: string;
  device(id: string, leaf: "state" | "availability" | "info" | "set" | "set/result" | "action"): string;
  /** The base of another node (`hearth/<nodeId>`, beside this node's own base). */
  nodeBase(nodeId: string): string;
}

export function topicsOf(config: MqttConfig): Topics {
  const base = config.baseTopic ?? `hearth/${config.nodeId}`;
  // Other nodes are found beside this one: `home/pi1` → `home/<other>`; a base that does not end in
  // the node id looks for them under `hearth/`.
  const root = base.endsWith(`/${config.nodeId}`) ? base.slice(0, -config.nodeId.length - 1) : "hearth";
  return {
    base,
    status: `${base}/status`,
    device: (id, leaf) => `${base}/devices/${id}/${leaf}`,
    nodeBase: (nodeId) => `${root}/${nodeId}`,
  };
}

/** The URL without credentials, for logs and status reasons. */
export function safeUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, "//");
}
