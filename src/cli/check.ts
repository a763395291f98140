import { isHearthError } from "../errors.ts";
import { loadConfig } from "../kernel/config/index.ts";
import { CONFIG_FLAGS, type Command, commandHelp, EXIT, parseStrict } from "./command.ts";
import { inspectPlugins } from "./inspect.ts";
import { CHECK_META } from "./meta.ts";

/**
 * `hearth check`: validates the configuration and every plugin manifest, and plans the plugin start
 * order, without starting anything or writing anything. Exit 0 when all is well, 1 otherwise.
 */
export const checkCommand: Command = {
  ...CHECK_META,
  async run(args, io) {
    const { values } = parseStrict({ args, options: CONFIG_FLAGS, strict: true });
    if (values.help) {
      io.out(commandHelp(this));
      return EXIT.OK;
    }
    let loaded: ReturnType<typeof loadConfig>;
    try {
      loaded = loadConfig({ file: values.config, overrides: { dataDir: values["data-dir"] } });
    } catch (err) {
      if (!isHearthError(err)) throw err;
      io.err(`config: ${err.code}: ${err.message}\n`);
      return EXIT.FAILURE;
    }
    const { config, file } = loaded;
    io.out(
      `config: ok (${file ?? "embedded defaults"}); dataDir ${config.dataDir}; pluginsDir ${config.pluginsDir}\n`,
    );

    const report = await inspectPlugins(config, { checkConfigs: true });
    let failures = 0;
    for (const p of report.problems) {
      failures++;
      io.err(`plugin ${p.name ?? p.source}: ${p.error.code}: ${p.error.message}\n`);
    }
    for (const s of report.plan.skipped) {
      failures++;
      io.err(`plugin ${s.name}: ${s.error.code}: ${s.error.message}\n`);
    }
    for (const { name, error } of report.configFailures) {
      failures++;
      io.err(`plugin ${name}: ${error.code}: ${error.message}\n`);
    }
    for (const name of report.unknownConfigured) {
      failures++;
      io.err(
        `config: plugins.${name}: no plugin named "${name}" was found (built-in or in ${config.pluginsDir})\n`,
      );
    }
    const disabled = report.plugins.filter((p) => !p.enabled).map((p) => p.name);
    io.out(
      `plugins: ${report.plan.order.length} would start (${report.plan.order.join(", ") || "none"})` +
        `${disabled.length ? `; disabled: ${disabled.join(", ")}` : ""}\n`,
    );
    if (failures > 0) {
      io.err(`check: ${failures} problem${failures === 1 ? "" : "s"} found\n`);
      return EXIT.FAILURE;
    }
    io.out("check: ok\n");
    return EXIT.OK;
  },
};
