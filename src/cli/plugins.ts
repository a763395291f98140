import { loadConfig } from "../kernel/config/index.ts";
import { CONFIG_FLAGS, type Command, commandHelp, EXIT, parseStrict } from "./command.ts";
import { inspectPlugins } from "./inspect.ts";
import { PLUGINS_META } from "./meta.ts";

/** `hearth plugins`: every discovered plugin, whether it would start, and why not. */
export const pluginsCommand: Command = {
  ...PLUGINS_META,
  async run(args, io) {
    const { values } = parseStrict({
      args,
      options: { ...CONFIG_FLAGS, json: { type: "boolean" } },
      strict: true,
    });
    if (values.help) {
      io.out(commandHelp(this));
      return EXIT.OK;
    }
    const { config } = loadConfig({ file: values.config, overrides: { dataDir: values["data-dir"] } });
    const report = await inspectPlugins(config);
    const skipped = new Map(report.plan.skipped.map((s) => [s.name, s.error]));
    const rows = report.plugins.map((p) => {
      const error = skipped.get(p.name);
      const status = !p.enabled ? "disabled" : error ? "skipped" : "ok";
      return {
        name: p.name,
        version: p.version,
        origin: p.origin,
        integration: p.isIntegration,
        dependencies: p.dependencies,
        status,
        ...(error ? { reason: `${error.code}: ${error.message}` } : {}),
      };
    });
    const invalid = report.problems.map((p) => ({
      source: p.source,
      reason: `${p.error.code}: ${p.error.message}`,
    }));
    if (values.json) {
      io.out(`${JSON.stringify({ plugins: rows, invalid }, null, 2)}\n`);
      return EXIT.OK;
    }
    if (rows.length === 0) io.out("no plugins found\n");
    for (const r of rows) {
      const deps = r.dependencies.length ? ` needs ${r.dependencies.join(", ")}` : "";
      const tag = r.integration ? " [integration]" : "";
      io.out(`${r.name.padEnd(20)} ${r.version.padEnd(10)} ${r.origin.padEnd(9)} ${r.status}${tag}${deps}\n`);
      if (r.reason) io.out(`  ${r.reason}\n`);
    }
    for (const p of invalid) io.out(`invalid: ${p.source}\n  ${p.reason}\n`);
    return EXIT.OK;
  },
};
