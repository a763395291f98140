import { describe, expect, it } from "bun:test";
import { COMMANDS, EXIT, runCli } from "../../../src/cli/commands.ts";

async function cli(...argv: string[]) {
  let out = "";
  let err = "";
  const code = await runCli(argv, { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

describe("hearth CLI", () => {
  it("prints version, commit, Bun version and target", async () => {
    const r = await cli("version");
    expect(r.code).toBe(EXIT.OK);
    expect(r.out).toMatch(/^hearth \d+\.\d+\.\d+ \(commit \S+, bun \d+\.\d+\.\d+, .+\)\n$/);
  });

  it("prints version as JSON with --json", async () => {
    const info = JSON.parse((await cli("version", "--json")).out);
    expect(Object.keys(info).sort()).toEqual(["bun", "commit", "target", "version"]);
    expect(info.bun).toBe(Bun.version);
  });

  it("lists every command in --help", async () => {
    const r = await cli("--help");
    expect(r.code).toBe(EXIT.OK);
    for (const c of COMMANDS) expect(r.out).toContain(c.name);
  });

  it("answers --help for every command", async () => {
    for (const c of COMMANDS) {
      const r = await cli(c.name, "--help");
      expect(r.code).toBe(EXIT.OK);
      expect(r.out).toContain(c.usage);
    }
  });

  it("shows help for a command through `help <command>`", async () => {
    expect((await cli("help", "version")).out).toContain("hearth version");
  });

  it("exits 2 with usage on no command", async () => {
    const r = await cli();
    expect(r.code).toBe(EXIT.USAGE);
    expect(r.out).toContain("Usage: hearth <command>");
  });

  it("exits 2 naming an unknown command", async () => {
    const r = await cli("frobnicate");
    expect(r.code).toBe(EXIT.USAGE);
    expect(r.err).toContain('unknown command "frobnicate"');
  });

  it("exits 2 naming an unknown flag, with the command's usage", async () => {
    const r = await cli("version", "--bogus");
    expect(r.code).toBe(EXIT.USAGE);
    expect(r.err).toContain("--bogus");
    expect(r.err).toContain("Usage: hearth version");
  });
});
