/**
 * A fake `/sys/class/gpio` in a temp dir, with a tiny "kernel" that honours `export` and `unexport`
 * (polling the two files, as the real kernel would act on a write) and keeps each pin's level, so a
 * test can drive an input before or after the line is exported.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { GpioValue } from "../../../../src/hal/gpio/index.ts";

export interface FakeChip {
  base: number;
  label: string;
  ngpio: number;
}

export interface FakeSysfs {
  root: string;
  /** Sets a pin's physical level (writes `value` when exported). */
  setLevel(number: number, level: GpioValue): void;
  /** The level in `gpioN/value`, or the remembered one when not exported. */
  level(number: number): GpioValue;
  /** A file of an exported line, e.g. `direction`. */
  file(number: number, name: string): string;
  exported(number: number): boolean;
  /** Exports a line as if some other program had (a leftover). */
  preExport(number: number): void;
  /** Stops answering export/unexport (a hung kernel or udev). */
  stopKernel(): void;
  startKernel(): void;
  /** Stops the fake kernel and removes the tree. */
  cleanup(): void;
}

/** The layout of a Raspberry Pi 4 on a 6.x kernel: the header chip at base 512. */
export const PI4_CHIPS: FakeChip[] = [
  { base: 512, label: "pinctrl-bcm2711", ngpio: 58 },
  { base: 570, label: "raspberrypi-exp-gpio", ngpio: 8 },
];

export function createFakeSysfs(chips: FakeChip[] = PI4_CHIPS): FakeSysfs {
  const root = mkdtempSync(join(tmpdir(), "hearth-sysfs-"));
  const levels = new Map<number, GpioValue>();
  for (const chip of chips) {
    const dir = join(root, `gpiochip${chip.base}`);
    mkdirSync(dir);
    writeFileSync(join(dir, "base"), `${chip.base}\n`);
    writeFileSync(join(dir, "label"), `${chip.label}\n`);
    writeFileSync(join(dir, "ngpio"), `${chip.ngpio}\n`);
  }
  writeFileSync(join(root, "export"), "");
  writeFileSync(join(root, "unexport"), "");
  const lineDir = (n: number) => join(root, `gpio${n}`);

  const doExport = (n: number) => {
    const dir = lineDir(n);
    if (existsSync(dir)) return;
    mkdirSync(dir);
    writeFileSync(join(dir, "direction"), "in\n");
    writeFileSync(join(dir, "value"), `${levels.get(n) ?? 0}\n`);
    writeFileSync(join(dir, "edge"), "none\n");
    writeFileSync(join(dir, "active_low"), "0\n");
  };
  const take = (name: string): number | undefined => {
    const path = join(root, name);
    const text = readFileSync(path, "utf8").trim();
    if (text === "") return undefined;
    writeFileSync(path, "");
    return Number(text);
  };
  const tick = () => {
    const exp = take("export");
    if (exp !== undefined) doExport(exp);
    const unexp = take("unexport");
    if (unexp !== undefined && existsSync(lineDir(unexp))) {
      levels.set(unexp, Number(readFileSync(join(lineDir(unexp), "value"), "utf8").trim()) as GpioValue);
      rmSync(lineDir(unexp), { recursive: true });
    }
  };
  let kernel: ReturnType<typeof setInterval> | undefined = setInterval(tick, 2);

  return {
    root,
    setLevel(n, level) {
      levels.set(n, level);
      if (existsSync(lineDir(n))) writeFileSync(join(lineDir(n), "value"), `${level}\n`);
    },
    level(n) {
      if (!existsSync(lineDir(n))) return levels.get(n) ?? 0;
      return Number(readFileSync(join(lineDir(n), "value"), "utf8").trim()) as GpioValue;
    },
    file: (n, name) => readFileSync(join(lineDir(n), name), "utf8").trim(),
    exported: (n) => existsSync(lineDir(n)),
    preExport: doExport,
    stopKernel() {
      clearInterval(kernel);
      kernel = undefined;
    },
    startKernel() {
      kernel ??= setInterval(tick, 2);
    },
    cleanup() {
      clearInterval(kernel);
      rmSync(root, { recursive: true, force: true });
    },
  };
}
