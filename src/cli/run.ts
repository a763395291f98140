import { loadConfig } from "../kernel/config/index.ts";
import { createLogger, type Logger } from "../kernel/log/index.ts";
import { sdNotify, startWatchdog } from "../platform/systemd.ts";
import { CoreRuntime } from "../runtime.ts";
import { versionInfo } from "../version.ts";
import { CONFIG_FLAGS, type Command, commandHelp, EXIT, parseStrict } from "./command.ts";
import { RUN_META } from "./meta.ts";
import { STARTUP } from "./startup.ts";

// Evaluating the runtime's modules (zod, pino, hono, SQLite bindings) once `run` is the command.
STARTUP.mark("runtime imported");

/** Re-imports every running external plugin from disk (and restarts its dependents). */
async function reloadExternal(runtime: CoreRuntime, logger: Logger): Promise<void> {
  if (runtime.phase !== "started") return;
  const { plugins } = runtime.kernel;
  const names = plugins
    .list()
    .filter((p) => p.origin === "external" && p.enabled)
    .map((p) => p.name);
  const results: Record<string, string> = {};
  for (const name of names) {
    try {
      results[name] = (await plugins.reload(name)).state;
    } catch (err) {
      results[name] = `error: ${(err as Error).message}`;
    }
  }
  logger.info({ plugins: results }, "external plugins reloaded");
}

function flush(logger: Logger): Promise<void> {
  return new Promise((resolve) => logger.flush(() => resolve()));
}

/**
 * `hearth run`: the service. Starts the runtime, then waits for SIGTERM/SIGINT: the first stops it
 * gracefully within shutdownTimeoutMs (exit 0, or 4 if the bound was hit), a second one forces the
 * exit (130). SIGHUP (`systemctl reload hearth`) hot-reloads the external plugins from disk. Errors
 * that escape every handler are logged and counted; they do not kill the process.
 */
export const runCommand: Command = {
  ...RUN_META,
  async run(args, io) {
    const { values } = parseStrict({ args, options: CONFIG_FLAGS, strict: true });
    if (values.help) {
      io.out(commandHelp(this));
      return EXIT.OK;
    }
    // Invalid configuration throws here, before anything is opened or written (exit 3).
    const { config, file } = loadConfig({ file: values.config, overrides: { dataDir: values["data-dir"] } });
    STARTUP.mark("config");
    const logger = createLogger({ level: config.logLevel });
    STARTUP.mark("logger");
    const info = versionInfo();
    logger.info(
      {
        version: info.version,
        commit: info.commit,
        bun: info.bun,
        config: file ?? "(embedded defaults)",
        dataDir: config.dataDir,
      },
      "hearth starting",
    );
    const runtime = new CoreRuntime({ config, logger, phases: STARTUP });

    process.on("unhandledRejection", (err) => runtime.recordUncaught("unhandledRejection", err));
    process.on("uncaughtException", (err) => runtime.recordUncaught("uncaughtException", err));

    let signalled = false;
    const stopped = new Promise<number>((resolve) => {
      const onSignal = (signal: NodeJS.Signals) => {
        if (signalled) {
          logger.warn({ signal }, "second signal: forcing exit");
          logger.flush();
          process.exit(EXIT.FORCED);
        }
        signalled = true;
        logger.info({ signal }, "signal received: stopping");
        void sdNotify("STOPPING=1");
        runtime.stop().then(
          (r) => resolve(r.timedOut ? EXIT.SHUTDOWN_TIMEOUT : EXIT.OK),
          () => resolve(EXIT.FAILURE),
        );
      };
      process.on("SIGTERM", onSignal);
      process.on("SIGINT", onSignal);
    });

    process.on("SIGHUP", () => {
      void reloadExternal(runtime, logger);
    });

    try {
      await runtime.start();
    } catch (err) {
      logger.fatal(
        { err: (err as Error).message, code: (err as { code?: string }).code },
        "hearth failed to start",
      );
      await runtime.stop();
      await flush(logger);
      io.err(`hearth run: ${(err as { code?: string }).code ?? "ERROR"}: ${(err as Error).message}\n`);
      return EXIT.FAILURE;
    }
    logger.debug(runtime.startupTimes(), "start-up phases");
    // Type=notify: systemd considers the service started only now; the watchdog pings only while healthy.
    await sdNotify("READY=1\nSTATUS=running");
    const stopWatchdog = startWatchdog({
      healthy: async () => (await runtime.healthCheck()).status !== "unhealthy",
      logger,
    });
    const code = await stopped;
    stopWatchdog();
    await flush(logger);
    return code;
  },
};
