import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { toolAvailable } from "../helpers/tools.ts";
import { hearthBinary } from "./harness.ts";

const SCRIPT = join(import.meta.dir, "../../scripts/install.sh");
let bin: string;
let root: string;
const HAVE_SYSTEMD_ANALYZE = toolAvailable("systemd-analyze");

beforeAll(async () => {
  bin = await hearthBinary();
  root = mkdtempSync(join(tmpdir(), "hearth-root-"));
}, 120_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

function install(...args: string[]) {
  const r = Bun.spawnSync(["sh", SCRIPT, "--root", root, ...args], { stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode, out: r.stdout.toString(), err: r.stderr.toString() };
}

const mode = (p: string) => (statSync(p).mode & 0o777).toString(8);

describe("scripts/install.sh (dry run under a root folder)", () => {
  it("installs the binary, the unit and a default config, and would enable and start the service", () => {
    const r = install("--binary", bin);
    expect(r.code).toBe(0);
    expect(mode(join(root, "usr/local/bin/hearth"))).toBe("755");
    expect(readFileSync(join(root, "usr/local/bin/hearth")).equals(readFileSync(bin))).toBe(true);
    expect(mode(join(root, "etc/systemd/system/hearth.service"))).toBe("644");
    const installed = JSON.parse(readFileSync(join(root, "etc/hearth/hearth.json"), "utf8"));
    expect(installed.http.port).toBe(8420);
    // An installed service starts without the simulated house.
    expect(installed.plugins.demo).toEqual({ enabled: false });
    expect(r.out).toContain("would run: useradd --system");
    expect(r.out).toContain("would run: systemctl enable hearth.service");
    expect(r.out).toContain("would run: systemctl restart hearth.service");
  });

  it("is idempotent and never overwrites an existing config", () => {
    const conf = join(root, "etc/hearth/hearth.json");
    writeFileSync(conf, '{ "logLevel": "debug" }\n');
    const r = install("--binary", bin);
    expect(r.code).toBe(0);
    expect(r.out).toContain("kept");
    expect(readFileSync(conf, "utf8")).toBe('{ "logLevel": "debug" }\n');
  });

  it.skipIf(!HAVE_SYSTEMD_ANALYZE)(
    "installs a unit that systemd-analyze verifies without a single warning",
    () => {
      const unit = readFileSync(join(root, "etc/systemd/system/hearth.service"), "utf8");
      expect(unit).toContain("Type=notify");
      expect(unit).toContain("WatchdogSec=");
      // Verified with ExecStart pointing at the installed file inside the root folder.
      const dir = mkdtempSync(join(tmpdir(), "hearth-unit-"));
      writeFileSync(
        join(dir, "hearth.service"),
        unit.replace("ExecStart=/usr/local/bin/hearth", `ExecStart=${join(root, "usr/local/bin/hearth")}`),
      );
      const r = Bun.spawnSync(["systemd-analyze", "verify", join(dir, "hearth.service")], {
        stdout: "pipe",
        stderr: "pipe",
      });
      rmSync(dir, { recursive: true, force: true });
      expect(`${r.stdout}${r.stderr}`).toBe("");
      expect(r.exitCode).toBe(0);
    },
  );

  it.skipIf(!HAVE_SYSTEMD_ANALYZE)(
    "installs a unit that systemd-analyze security rates at an exposure of 1.5 or lower",
    () => {
      const unit = readFileSync(join(root, "etc/systemd/system/hearth.service"), "utf8");
      for (const line of [
        "NotifyAccess=main",
        "SystemCallFilter=@system-service",
        "SystemCallArchitectures=native",
        "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK",
        "SupplementaryGroups=dialout gpio",
        "DeviceAllow=char-ttyUSB rw",
        "DeviceAllow=char-gpiochip rw",
      ]) {
        expect(unit.split("\n")).toContain(line);
      }
      const dir = mkdtempSync(join(tmpdir(), "hearth-unit-"));
      writeFileSync(
        join(dir, "hearth.service"),
        unit.replace("ExecStart=/usr/local/bin/hearth", "ExecStart=/bin/true"),
      );
      const r = Bun.spawnSync(
        ["systemd-analyze", "security", "--offline=yes", "--no-pager", join(dir, "hearth.service")],
        { stdout: "pipe", stderr: "pipe", env: { ...process.env, SYSTEMD_COLORS: "0" } },
      );
      rmSync(dir, { recursive: true, force: true });
      const text = `${r.stdout}${r.stderr}`;
      const score = /Overall exposure level for hearth\.service: (\d+\.\d)/.exec(text)?.[1];
      expect(score).toBeDefined();
      expect(Number(score)).toBeLessThanOrEqual(1.5);
    },
  );

  it("refuses a binary whose SHA256SUMS entry does not match", () => {
    const dir = mkdtempSync(join(tmpdir(), "hearth-sums-"));
    const copy = join(dir, "hearth-linux-x64");
    copyFileSync(bin, copy);
    writeFileSync(join(dir, "SHA256SUMS"), `${"0".repeat(64)}  hearth-linux-x64\n`);
    const r = install("--binary", copy);
    rmSync(dir, { recursive: true, force: true });
    expect(r.code).toBe(1);
    expect(r.err).toContain("does not match SHA256SUMS");
  });

  it("rejects unknown options with usage and exit 2", () => {
    const r = install("--frobnicate");
    expect(r.code).toBe(2);
    expect(r.err).toContain("unknown option --frobnicate");
  });

  it("uninstalls the binary and unit but keeps data and config", () => {
    const data = join(root, "var/lib/hearth/hearth.db");
    Bun.spawnSync(["mkdir", "-p", join(root, "var/lib/hearth")]);
    writeFileSync(data, "precious");
    const r = install("--uninstall");
    expect(r.code).toBe(0);
    expect(existsSync(join(root, "usr/local/bin/hearth"))).toBe(false);
    expect(existsSync(join(root, "etc/systemd/system/hearth.service"))).toBe(false);
    expect(readFileSync(data, "utf8")).toBe("precious");
    expect(existsSync(join(root, "etc/hearth/hearth.json"))).toBe(true);
  });

  it("purges data and config only when asked", () => {
    const r = install("--uninstall", "--purge");
    expect(r.code).toBe(0);
    expect(existsSync(join(root, "var/lib/hearth"))).toBe(false);
    expect(existsSync(join(root, "etc/hearth"))).toBe(false);
    expect(r.out).toContain("would run: userdel hearth");
  });
});
