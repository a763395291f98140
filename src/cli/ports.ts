/**
 * `hearth ports`: the serial ports and GPIO chips this machine has, with what to put in a config
 * (the stable by-id path of a stick, a chip's label and its lines). Reads only; opens no port and
 * requests no line. The roots are injectable (hidden flags) so tests run it against fake trees.
 */
import { isHearthError } from "../errors.ts";
import {
  createGpio,
  type GpioChipInfo,
  type GpioLineInfo,
  type GpioSelection,
  lineToHeaderPin,
  RPI_HEADER_CHIP_LABELS,
} from "../hal/gpio/index.ts";
import { listSerialPorts } from "../hal/serial/index.ts";
import type { SerialPortInfo } from "../hal/serial/types.ts";
import { type Command, commandHelp, EXIT, parseStrict } from "./command.ts";
import { PORTS_META } from "./meta.ts";

export interface PortsReport {
  serial: SerialPortInfo[];
  gpio: {
    selection?: GpioSelection;
    /** Why there is no GPIO (GPIO_UNAVAILABLE's message). */
    unavailable?: string;
    chips: (GpioChipInfo & { lineInfo: (GpioLineInfo & { headerPin?: number })[] })[];
  };
}

export async function collectPorts(options: {
  root?: string;
  sysfsRoot?: string;
  devDir?: string;
}): Promise<PortsReport> {
  const serial = await listSerialPorts(options.root === undefined ? {} : { root: options.root });
  const report: PortsReport = { serial, gpio: { chips: [] } };
  let gpio: Awaited<ReturnType<typeof createGpio>>;
  try {
    gpio = await createGpio({
      driver: "auto",
      ...(options.sysfsRoot === undefined ? {} : { sysfsRoot: options.sysfsRoot }),
      ...(options.devDir === undefined ? {} : { devDir: options.devDir }),
    });
  } catch (err) {
    if (!isHearthError(err, "GPIO_UNAVAILABLE")) throw err;
    report.gpio.unavailable = err.message;
    return report;
  }
  try {
    report.gpio.selection = gpio.selection;
    for (const chip of await gpio.chips()) {
      const header = RPI_HEADER_CHIP_LABELS.includes(chip.label);
      const lines = (await gpio.lines(chip.name)).map((l) => {
        const pin = header ? lineToHeaderPin(l.offset) : undefined;
        return pin === undefined ? l : { ...l, headerPin: pin };
      });
      report.gpio.chips.push({ ...chip, lineInfo: lines });
    }
  } finally {
    await gpio.close();
  }
  return report;
}

function serialText(ports: SerialPortInfo[]): string[] {
  if (ports.length === 0) return ["Serial ports: none found"];
  const out = [`Serial ports (${ports.length}); put the by-id path in configs, it survives a replug:`];
  for (const p of ports) {
    const ids = p.vendorId === undefined ? "" : `  ${p.vendorId}:${p.productId ?? "????"}`;
    const what = [p.manufacturer, p.product].filter((x) => x !== undefined).join(" ");
    out.push(`  ${p.path}${ids}${what ? `  ${what}` : ""}${p.driver ? `  (${p.driver})` : ""}`);
    if (p.byId) out.push(`    by-id: ${p.byId}`);
    if (p.serialNumber) out.push(`    serial number: ${p.serialNumber}`);
    if (p.adapter) {
      const hint = p.adapter.generic ? " (a generic USB-UART chip: a hint, not proof)" : "";
      out.push(`    known adapter: ${p.adapter.name}, ${p.adapter.protocol} ${p.adapter.stack}${hint}`);
    }
  }
  return out;
}

function gpioText(gpio: PortsReport["gpio"]): string[] {
  if (gpio.unavailable !== undefined) return [`GPIO: none found (${gpio.unavailable})`];
  const sel = gpio.selection as GpioSelection;
  if (gpio.chips.length === 0) return [`GPIO (driver ${sel.driver}: ${sel.reason}): no chips found`];
  const out = [`GPIO (driver ${sel.driver}: ${sel.reason}), ${gpio.chips.length} chip(s):`];
  for (const chip of gpio.chips) {
    const header = RPI_HEADER_CHIP_LABELS.includes(chip.label)
      ? "; the Raspberry Pi header: BCM numbers are its offsets"
      : "";
    const base = chip.base === undefined ? "" : `, sysfs base ${chip.base}`;
    out.push(`  ${chip.name}  label ${chip.label}  ${chip.lines} lines${base}${header}`);
    for (const l of chip.lineInfo) {
      const cols = [
        `    ${String(l.offset).padStart(3)}`,
        (l.name || "-").padEnd(12),
        l.headerPin === undefined ? "      " : `pin ${String(l.headerPin).padEnd(2)}`,
        l.used ? `used by ${l.consumer || "?"}${l.direction ? ` (${l.direction})` : ""}` : "free",
      ];
      out.push(cols.join("  ").trimEnd());
    }
  }
  return out;
}

/** `hearth ports`: serial ports with their ids and GPIO chips with their lines. */
export const portsCommand: Command = {
  ...PORTS_META,
  async run(args, io) {
    const { values } = parseStrict({
      args,
      options: {
        help: { type: "boolean", short: "h" },
        json: { type: "boolean" },
        // Hidden: where the trees are (tests point them at fakes).
        root: { type: "string" },
        "sysfs-root": { type: "string" },
        "dev-dir": { type: "string" },
      },
      strict: true,
    });
    if (values.help) {
      io.out(commandHelp(this));
      return EXIT.OK;
    }
    const report = await collectPorts({
      ...(values.root === undefined ? {} : { root: values.root }),
      ...(values["sysfs-root"] === undefined ? {} : { sysfsRoot: values["sysfs-root"] }),
      ...(values["dev-dir"] === undefined ? {} : { devDir: values["dev-dir"] }),
    });
    if (values.json) {
      io.out(`${JSON.stringify(report, null, 2)}\n`);
      return EXIT.OK;
    }
    io.out(`${[...serialText(report.serial), "", ...gpioText(report.gpio)].join("\n")}\n`);
    return EXIT.OK;
  },
};
