#!/usr/bin/env bun
/**
 * A simulated Z-Stack (ZNP) coordinator stick, for trying the zigbee plugin without hardware.
 *
 *   socat -d -d pty,raw,echo=0,link=/tmp/zb-host pty,raw,echo=0,link=/tmp/zb-stick &
 *   bun scripts/zstack-sim.ts --pty /tmp/zb-stick [--state sim.json]
 *   # and in hearth.json: "plugins": { "zigbee": { "config": { "port": "/tmp/zb-host" } } }
 *
 *   bun scripts/zstack-sim.ts --tcp 6638          # a network stick: "port": "tcp://127.0.0.1:6638"
 *
 * Control it with JSON lines on stdin; it answers with JSON lines on stdout:
 *   {"op":"join","kind":"bulb"}                   kinds: bulb, motion, contact, climate ("force":true ignores permit join)
 *   {"op":"report","device":"climate","cluster":1026,"values":{"0":2250}}
 *   {"op":"zone","device":"contact","status":1}   IAS zone status (bit 0 = open / alarm)
 *   {"op":"reach","device":"bulb","reachable":false}   the device stops answering (true: back again)
 *   {"op":"leave","device":"<ieee>"}   {"op":"devices"}   {"op":"stats"}   {"op":"permit","seconds":60}
 * `--state FILE` keeps the stick's NV and devices across simulator restarts (written on every change
 * and on exit).
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import {
  attachPty,
  attachTcp,
  SIM_DEVICE_KINDS,
  type SimDeviceKind,
  ZnpStick,
} from "../test/zigbee/sim/index.ts";

const { values } = parseArgs({
  args: Bun.argv.slice(2),
  options: { pty: { type: "string" }, tcp: { type: "string" }, state: { type: "string" } },
  strict: true,
});
if ((values.pty === undefined) === (values.tcp === undefined)) {
  console.error("usage: bun scripts/zstack-sim.ts --pty PATH | --tcp PORT [--state FILE]");
  process.exit(2);
}

const say = (o: unknown) => process.stdout.write(`${JSON.stringify(o)}\n`);
const options = {
  onUnknown: (f: { type: number; subsystem: number; command: number }) =>
    say({ event: "unknown_command", ...f }),
};
const stick =
  values.state && existsSync(values.state)
    ? ZnpStick.fromSnapshot(JSON.parse(readFileSync(values.state, "utf8")), options)
    : new ZnpStick(options);
const save = () => {
  if (values.state) writeFileSync(values.state, JSON.stringify(stick.snapshot()));
};
stick.onDelivered((z) =>
  say({
    event: "zcl",
    ieee: z.ieee,
    kind: z.kind,
    endpoint: z.endpoint,
    cluster: z.cluster,
    command: z.command,
    frameType: z.frameType,
    hex: z.hex,
  }),
);

const transport = values.pty ? attachPty(stick, values.pty) : attachTcp(stick, Number(values.tcp));
say({
  event: "ready",
  ieee: stick.ieee,
  ...(values.pty ? { pty: values.pty } : { tcp: (transport as unknown as { port: number }).port }),
});
const saver = setInterval(save, 2000);

const device = (o: Record<string, unknown>) => String(o.device ?? o.ieee ?? "");
function handle(o: Record<string, unknown>): unknown {
  switch (o.op) {
    case "join": {
      const kind = String(o.kind) as SimDeviceKind;
      if (!SIM_DEVICE_KINDS.includes(kind))
        throw new Error(`kind must be one of ${SIM_DEVICE_KINDS.join(", ")}`);
      const d = stick.join(kind, {
        force: o.force === true,
        ...(typeof o.ieee === "string" ? { ieee: o.ieee } : {}),
      });
      return { kind: d.kind, ieee: d.ieee, nwk: d.nwk };
    }
    case "report":
      stick.report(device(o), Number(o.cluster), (o.values ?? {}) as Record<number, number>);
      return {};
    case "zone":
      stick.zoneStatus(device(o), Number(o.status));
      return {};
    case "reach":
      stick.setReachable(device(o), o.reachable !== false);
      return {};
    case "leave":
      stick.leave(device(o));
      return {};
    case "permit":
      stick.openJoin(Number(o.seconds ?? 60));
      return {};
    case "devices":
      return {
        devices: [...stick.devices.values()].map((d) => ({ kind: d.kind, ieee: d.ieee, nwk: d.nwk })),
      };
    case "stats":
      return { stats: stick.stats, permitJoin: stick.permitJoin };
    default:
      throw new Error(`unknown op ${JSON.stringify(o.op)}`);
  }
}

const shutdown = async () => {
  clearInterval(saver);
  save();
  await transport.close();
  process.exit(0);
};
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);

let buffer = "";
for await (const chunk of Bun.stdin.stream()) {
  buffer += new TextDecoder().decode(chunk);
  let nl = buffer.indexOf("\n");
  while (nl >= 0) {
    const line = buffer.slice(0, nl).trim();
    buffer = buffer.slice(nl + 1);
    nl = buffer.indexOf("\n");
    if (!line) continue;
    try {
      say({ ok: true, ...(handle(JSON.parse(line)) as object) });
      save();
    } catch (err) {
      say({ ok: false, error: err instanceof Error ? err.message : String(err) });
    }
  }
}
// stdin closed: keep serving the stick until a signal.
