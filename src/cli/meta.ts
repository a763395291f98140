import { CONFIG_FLAGS_HELP, type Command } from "./command.ts";

type Meta = Omit<Command, "run">;

// Names, summaries and usage of the commands whose code is loaded lazily (see commands.ts).
export const RUN_META: Meta = {
  name: "run",
  summary: "Start Hearth and serve until SIGTERM/SIGINT (what systemd runs)",
  usage: "hearth run [--config FILE] [--data-dir DIR]",
  options: CONFIG_FLAGS_HELP,
};

export const CHECK_META: Meta = {
  name: "check",
  summary: "Validate the configuration, plugin manifests and plugin config slices without starting anything",
  usage: "hearth check [--config FILE] [--data-dir DIR]",
  options: CONFIG_FLAGS_HELP,
};

export const PLUGINS_META: Meta = {
  name: "plugins",
  summary: "List discovered plugins (built-in and external) and why any would be skipped",
  usage: "hearth plugins [--config FILE] [--data-dir DIR] [--json]",
  options: `${CONFIG_FLAGS_HELP}\n      --json            machine-readable output`,
};

export const PORTS_META: Meta = {
  name: "ports",
  summary: "List serial ports (path, by-id link, USB ids, known adapters) and GPIO chips with their lines",
  usage: "hearth ports [--json]",
  options: "      --json            machine-readable output",
};

export const TOKEN_META: Meta = {
  name: "token",
  summary: "Create, list and revoke admin API tokens (the token is printed once, on create)",
  usage: [
    "hearth token create --name NAME --scope admin|control|read [--scope ...] [--json]",
    "       hearth token list [--json]",
    "       hearth token revoke ID",
  ].join("\n"),
  options: [
    "      --name NAME       create: a label for the token (1-64 characters)",
    "      --scope SCOPE     create: read, control or admin (admin covers control covers read); repeatable",
    "      --json            machine-readable output",
    CONFIG_FLAGS_HELP,
  ].join("\n"),
};

export const BACKUP_META: Meta = {
  name: "backup",
  summary: "Write a consistent, integrity-checked copy of the database (safe while running)",
  usage: "hearth backup FILE [--config FILE] [--data-dir DIR]",
  options: CONFIG_FLAGS_HELP,
};

export const RESTORE_META: Meta = {
  name: "restore",
  summary: "Replace the database with a checked backup (service stopped; the old one is kept)",
  usage: "hearth restore FILE [--config FILE] [--data-dir DIR]",
  options: CONFIG_FLAGS_HELP,
};
