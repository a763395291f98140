import { afterEach, beforeEach, describe, expect, it } from "bun:test";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HearthError } from "../../../../src/errors.ts";
import { type ConfigIssue, loadConfig } from "../../../../src/kernel/config/index.ts";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "hearth-config-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function issuesOf(fn: () => unknown): ConfigIssue[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(HearthError);
    expect((err as HearthError).code).toBe("CONFIG_INVALID");
    return ((err as HearthError).data as { issues: ConfigIssue[] }).issues;
  }
  throw new Error("expected loadConfig to throw");
}

describe("loadConfig", () => {
  it("uses the embedded defaults when there is no file and no environment", () => {
    const { config, file } = loadConfig({ env: {}, cwd: dir });
    expect(file).toBeUndefined();
    expect(config.dataDir).toBe(join(dir, "data"));
    expect(config.pluginsDir).toBe(join(dir, "data", "plugins"));
    expect(config.http).toMatchObject({ host: "0.0.0.0", port: 8420, trustProxy: false, corsOrigins: [] });
    expect(config.shutdownTimeoutMs).toBe(10_000);
    expect(config.logLevel).toBe("info");
    expect(config.storage.secretNamespaces).toEqual(["auth", "secrets"]);
  });

  it("takes dataDir from $STATE_DIRECTORY under systemd", () => {
    const { config } = loadConfig({ env: { STATE_DIRECTORY: "/var/lib/hearth" }, cwd: dir });
    expect(config.dataDir).toBe("/var/lib/hearth");
  });

  it("reads hearth.json from the working directory and merges it over the defaults", () => {
    writeFileSync(join(dir, "hearth.json"), JSON.stringify({ http: { port: 9000 }, dataDir: "/srv/h" }));
    const { config, file } = loadConfig({ env: {}, cwd: dir });
    expect(file).toBe(join(dir, "hearth.json"));
    expect(config.http).toMatchObject({ host: "0.0.0.0", port: 9000 });
    expect(config.dataDir).toBe("/srv/h");
  });

  it("reads a TOML file", () => {
    const path = join(dir, "custom.toml");
    writeFileSync(path, 'logLevel = "debug"\n[http]\nport = 8500\n[plugins.zigbee]\nenabled = false\n');
    const { config } = loadConfig({ file: path, env: {}, cwd: dir });
    expect(config.logLevel).toBe("debug");
    expect(config.http.port).toBe(8500);
    expect(config.plugins.zigbee).toEqual({ enabled: false, config: {} });
  });

  it("lets HEARTH_* environment variables win over the file", () => {
    writeFileSync(join(dir, "hearth.json"), JSON.stringify({ http: { port: 9000 }, logLevel: "warn" }));
    const { config } = loadConfig({
      env: { HEARTH_HTTP_PORT: "9100", HEARTH_STORAGE_DURABLE: "true", HEARTH_LOG_LEVEL: "error" },
      cwd: dir,
    });
    expect(config.http.port).toBe(9100);
    expect(config.storage.durable).toBe(true);
    expect(config.logLevel).toBe("error");
  });

  it("lets command-line overrides win over the environment", () => {
    const { config } = loadConfig({ env: { HEARTH_DATA_DIR: "/a" }, cwd: dir, overrides: { dataDir: "/b" } });
    expect(config.dataDir).toBe("/b");
  });

  it("reports a bad environment value with the variable's name and the expected type", () => {
    const issues = issuesOf(() => loadConfig({ env: { HEARTH_HTTP_PORT: "eighty" }, cwd: dir }));
    expect(issues).toHaveLength(1);
    expect(issues[0]?.path).toBe("http.port");
    expect(issues[0]?.source).toBe("env HEARTH_HTTP_PORT");
    expect(issues[0]?.message).toContain("expected number");
  });

  it("reports a bad file value with its path and the file it came from", () => {
    const path = join(dir, "hearth.json");
    writeFileSync(path, JSON.stringify({ http: { port: 70000 }, shutdownTimeoutMs: "soon" }));
    const issues = issuesOf(() => loadConfig({ env: {}, cwd: dir }));
    const byPath = Object.fromEntries(issues.map((i) => [i.path, i]));
    expect(byPath["http.port"]?.source).toBe(`file ${path}`);
    expect(byPath.shutdownTimeoutMs?.message).toContain("expected number");
  });

  it("refuses unknown keys, naming each one", () => {
    writeFileSync(join(dir, "hearth.json"), JSON.stringify({ htpp: { port: 1 }, http: { prot: 2 } }));
    const paths = issuesOf(() => loadConfig({ env: {}, cwd: dir })).map((i) => i.path);
    expect(paths).toContain("htpp");
    expect(paths).toContain("http.prot");
  });

  it("refuses an unknown log level", () => {
    const issues = issuesOf(() => loadConfig({ env: { HEARTH_LOG_LEVEL: "loud" }, cwd: dir }));
    expect(issues[0]?.path).toBe("logLevel");
  });

  it("fails with CONFIG_PARSE_FAILED on malformed JSON", () => {
    writeFileSync(join(dir, "hearth.json"), '{"http": {"port": 1,}');
    expect(() => loadConfig({ env: {}, cwd: dir })).toThrow(
      expect.objectContaining({ code: "CONFIG_PARSE_FAILED" }),
    );
  });

  it("fails with CONFIG_PARSE_FAILED on malformed TOML", () => {
    const path = join(dir, "hearth.toml");
    writeFileSync(path, "[http\nport = = 3\n");
    expect(() => loadConfig({ file: path, env: {}, cwd: dir })).toThrow(
      expect.objectContaining({ code: "CONFIG_PARSE_FAILED" }),
    );
  });

  it("fails with CONFIG_PARSE_FAILED when the file holds something other than an object", () => {
    writeFileSync(join(dir, "hearth.json"), "[1, 2]");
    expect(() => loadConfig({ env: {}, cwd: dir })).toThrow(
      expect.objectContaining({ code: "CONFIG_PARSE_FAILED" }),
    );
  });

  it("fails with CONFIG_NOT_FOUND when an explicit file is missing", () => {
    expect(() => loadConfig({ file: "nope.json", env: {}, cwd: dir })).toThrow(
      expect.objectContaining({ code: "CONFIG_NOT_FOUND" }),
    );
  });

  it("takes a host name, an IPv4 or an IPv6 address as http.host, and refuses anything else", () => {
    const host = (h: string) =>
      loadConfig({ env: {}, cwd: dir, overrides: { "http.host": h } }).config.http.host;
    for (const ok of [
      "0.0.0.0",
      "127.0.0.1",
      "pi.local",
      "hearth",
      "::",
      "::1",
      "fe80::1",
      "::ffff:192.0.2.1",
    ]) {
      expect(host(ok)).toBe(ok);
    }
    for (const bad of ["not a host", "-x.local", "1::2::3", "[::1]", "host:8420"]) {
      expect(() => host(bad)).toThrow(expect.objectContaining({ code: "CONFIG_INVALID" }));
    }
  });

  it("honours HEARTH_CONFIG as the explicit file", () => {
    const path = join(dir, "elsewhere.json");
    writeFileSync(path, JSON.stringify({ http: { host: "127.0.0.1" } }));
    expect(loadConfig({ env: { HEARTH_CONFIG: path }, cwd: dir }).config.http.host).toBe("127.0.0.1");
  });

  it("adds configured secret namespaces to the built-in ones", () => {
    writeFileSync(
      join(dir, "hearth.json"),
      JSON.stringify({ storage: { secretNamespaces: ["zigbee-keys"] } }),
    );
    expect(loadConfig({ env: {}, cwd: dir }).config.storage.secretNamespaces).toEqual([
      "auth",
      "secrets",
      "zigbee-keys",
    ]);
  });

  it("writes nothing, even when the configuration is invalid", () => {
    writeFileSync(join(dir, "hearth.json"), JSON.stringify({ http: { port: -1 } }));
    expect(() => loadConfig({ env: {}, cwd: dir })).toThrow();
    expect(readdirSync(dir)).toEqual(["hearth.json"]);
  });

  it("refuses a __proto__ key anywhere in the file, naming the path and the file", () => {
    const file = join(dir, "hearth.json");
    for (const [body, path] of [
      ['{"__proto__": {"pluginsDir": "/elsewhere"}}', "__proto__"],
      ['{"plugins": {"__proto__": {"enabled": false}}}', "plugins.__proto__"],
      [
        '{"plugins": {"demo": {"config": {"a": {"__proto__": {"x": 1}}}}}}',
        "plugins.demo.config.a.__proto__",
      ],
    ] as const) {
      writeFileSync(file, body);
      expect(issuesOf(() => loadConfig({ env: {}, cwd: dir }))).toEqual([
        { path, message: 'the key "__proto__" is not allowed', source: `file ${file}` },
      ]);
    }
  });

  it("refuses a file nested deeper than 64 levels with CONFIG_INVALID, not a stack overflow", () => {
    const depth = 100_000;
    writeFileSync(
      join(dir, "hearth.json"),
      `{"plugins":{"demo":{"config":${'{"a":'.repeat(depth)}1${"}".repeat(depth)}}}}`,
    );
    const [issue] = issuesOf(() => loadConfig({ env: {}, cwd: dir }));
    expect(issue?.message).toBe("nested deeper than 64 levels");
    expect(issue?.path.startsWith("plugins.demo.config.a.a")).toBe(true);
  });

  it("attributes an unknown key holding an object to the file that set it", () => {
    const file = join(dir, "hearth.json");
    writeFileSync(file, JSON.stringify({ bogus: { nested: 1 } }));
    expect(issuesOf(() => loadConfig({ env: {}, cwd: dir }))).toEqual([
      expect.objectContaining({ path: "bogus", source: `file ${file}` }),
    ]);
  });
});

describe("config references ($env, $file)", () => {
  const SECRET = "hunter2-REFERENCE-MARKER";
  const write = (body: unknown) => writeFileSync(join(dir, "hearth.json"), JSON.stringify(body));
  const mqtt = (password: unknown) => ({ plugins: { mqtt: { config: { password } } } });
  const errorOf = (fn: () => unknown): HearthError => {
    try {
      fn();
    } catch (err) {
      return err as HearthError;
    }
    throw new Error("expected loadConfig to throw");
  };

  it("takes a value from an environment variable", () => {
    write(mqtt({ $env: "MQTT_PASSWORD" }));
    const { config } = loadConfig({ env: { MQTT_PASSWORD: SECRET }, cwd: dir });
    expect(config.plugins.mqtt?.config).toEqual({ password: SECRET });
  });

  it("takes a value from a file under $CREDENTIALS_DIRECTORY (systemd LoadCredential=), one newline dropped", () => {
    const creds = mkdtempSync(join(tmpdir(), "hearth-creds-"));
    try {
      writeFileSync(join(creds, "mqtt-password"), `${SECRET}\n`);
      write(mqtt({ $file: "mqtt-password" }));
      const { config } = loadConfig({ env: { CREDENTIALS_DIRECTORY: creds }, cwd: dir });
      expect(config.plugins.mqtt?.config).toEqual({ password: SECRET });
    } finally {
      rmSync(creds, { recursive: true, force: true });
    }
  });

  it("reads a relative file next to the config file when $CREDENTIALS_DIRECTORY is not set", () => {
    writeFileSync(join(dir, "key.txt"), SECRET);
    write({ http: { port: { $env: "PORT_FROM_ENV" } }, ...mqtt({ $file: "key.txt" }) });
    const { config } = loadConfig({ env: { PORT_FROM_ENV: "9000" }, cwd: dir });
    expect(config.plugins.mqtt?.config).toEqual({ password: SECRET });
    // A reference yields a string; a typed key still gets its type checked (and converted, as for HEARTH_*).
    expect(config.http.port).toBe(9000);
  });

  it("fails with CONFIG_INVALID naming the path and the variable, never the value", () => {
    write(mqtt({ $env: "MQTT_PASSWORD" }));
    const err = errorOf(() => loadConfig({ env: {}, cwd: dir }));
    expect(err.code).toBe("CONFIG_INVALID");
    expect(err.message).toContain("plugins.mqtt.config.password");
    expect(err.message).toContain("MQTT_PASSWORD");
  });

  it("fails on a missing file, a folder, a FIFO and an oversized file without hanging or quoting it", () => {
    const fifo = join(dir, "fifo");
    Bun.spawnSync(["mkfifo", fifo]);
    writeFileSync(join(dir, "big"), `${SECRET}${"x".repeat(70 * 1024)}`);
    for (const [name, says] of [
      ["absent", "ENOENT"],
      [".", "not a regular file"],
      ["fifo", "not a regular file"],
      ["big", "larger than 65536 bytes"],
    ] as const) {
      write(mqtt({ $file: name }));
      const err = errorOf(() => loadConfig({ env: {}, cwd: dir }));
      expect(err.code).toBe("CONFIG_INVALID");
      expect(err.message).toContain("plugins.mqtt.config.password");
      expect(err.message).toContain(says);
      expect(err.message).not.toContain(SECRET);
    }
  });

  it("treats an object with other keys beside $env as plain config, and refuses a bad reference", () => {
    write(mqtt({ $env: "X", other: 1 }));
    expect(loadConfig({ env: { X: "y" }, cwd: dir }).config.plugins.mqtt?.config).toEqual({
      password: { $env: "X", other: 1 },
    });
    write(mqtt({ $env: 42 }));
    expect(errorOf(() => loadConfig({ env: {}, cwd: dir })).message).toContain("$env takes a non-empty");
  });
});
