/**
 * The device registry: records, reported and desired state, the command and report paths, and
 * availability. It talks only through the kernel: storage (records durably, state deferred), the
 * state engine (`devices/<id>` public views; `devices/<id>/alive` TTL keys for availability, so no
 * polling loop), the bus (`device.*` events) and the owners' `<owner>.command` services.
 */
import { errorMessage, HearthError, isHearthError } from "../../errors.ts";
import type { Logger } from "../../kernel/log/types.ts";
import type { Kernel } from "../../kernel/types.ts";
import { SkippedRecords } from "../stored-records.ts";
import { resolveCapabilities, sameValue } from "./capabilities.ts";
import {
  aliveKey,
  capOf,
  commandIssues,
  type Device,
  extKey,
  invalid,
  json,
  reportIssues,
  revertDesired,
  stripTimes,
  viewKey,
} from "./device.ts";
import {
  type AnnounceParams,
  type DeviceRecord,
  type DeviceStateRecord,
  type DeviceView,
  RECORDS_NAMESPACE,
  STATE_NAMESPACE,
  StoredDeviceRecord,
  StoredDeviceState,
  slugId,
} from "./model.ts";

export interface RegistryOptions {
  kernel: Kernel;
  log: Logger;
  commandTimeoutMs: number;
  availableTimeoutMs: { mains: number; battery: number };
}

export interface RegistryStats {
  devices: number;
  available: number;
  pending: number;
  reports: number;
  unknownReports: number;
  commands: number;
  commandsFailed: number;
  /** Stored records and state rows skipped at start because they did not fit, described; else undefined. */
  skipped: string | undefined;
}

type Ref = { id: string } | { externalId: string };

const ALIVE_PATTERN = "devices/*/alive";

export class DeviceRegistry {
  readonly #k: Kernel;
  readonly #log: Logger;
  readonly #o: RegistryOptions;
  readonly #devices = new Map<string, Device>();
  /** `<owner>\0<externalId>` → id. */
  readonly #byExternal = new Map<string, string>();
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  #commandSeq = 0;
  #stopped = false;
  #runtimeStopping = false;
  readonly #stats = { reports: 0, unknownReports: 0, commands: 0, commandsFailed: 0 };
  readonly #skipped: SkippedRecords;

  constructor(options: RegistryOptions) {
    this.#k = options.kernel;
    this.#log = options.log;
    this.#o = options;
    this.#skipped = new SkippedRecords(options.log);
  }

  /**
   * Restores devices from storage: names, areas, last reported state; nothing pending. A record that
   * does not fit is skipped (kept in storage for repair, counted); a state row that does not fit is
   * dropped from memory (the device starts with empty state).
   */
  async load(): Promise<void> {
    const [rows, stateRows] = await Promise.all([
      this.#k.storage.query(RECORDS_NAMESPACE, {}),
      this.#k.storage.query(STATE_NAMESPACE, {}),
    ]);
    const records: DeviceRecord[] = [];
    for (const { key, value } of rows) {
      const record = this.#skipped.parse(StoredDeviceRecord, RECORDS_NAMESPACE, key, value, (r) =>
        r.id === key ? undefined : ["id"],
      );
      if (record !== undefined) records.push(record);
    }
    const stateOf = new Map(stateRows.map((row) => [row.key, row.value]));
    for (const record of records) {
      const row = stateOf.get(record.id);
      stateOf.delete(record.id);
      const s =
        row === undefined
          ? undefined
          : this.#skipped.parse(StoredDeviceState, STATE_NAMESPACE, record.id, row);
      // Only what the device can still have (a state row may predate a narrower re-announce).
      const reported = Object.fromEntries(
        Object.entries(s?.reported ?? {}).filter(([key]) => capOf(record, key) !== undefined),
      );
      const device: Device = {
        record,
        reported,
        // Nothing is pending after a restart: what was asked and never confirmed is not wanted now.
        desired: { ...reported },
        pending: new Map(),
        available: s?.available ?? false,
        lastSeen: s?.lastSeen ?? null,
      };
      this.#devices.set(record.id, device);
      this.#byExternal.set(extKey(record.owner, record.externalId), record.id);
      this.#publishView(device);
      if (device.available) this.#arm(device);
    }
    // State rows left by a device removed while a report for it was being written (not those of a
    // record skipped as invalid: it may be repaired).
    for (const key of [...stateOf.keys()]) if (this.#skipped.has(RECORDS_NAMESPACE, key)) stateOf.delete(key);
    if (stateOf.size > 0) await this.#k.storage.batchDelete(STATE_NAMESPACE, [...stateOf.keys()]);
  }

  /** Watches availability deadlines and the owners' lifecycle. Returns what undoes it. */
  wire(): () => void {
    const unwatch = this.#k.state.watch(ALIVE_PATTERN, (change) => {
      if (change.reason !== "expired") return;
      const id = change.key.slice("devices/".length, -"/alive".length);
      const device = this.#devices.get(id);
      if (device?.available) {
        this.#log.info({ device: id }, "device unavailable: nothing heard within its timeout");
        this.#setAvailable(device, false);
      }
    });
    const ownerDown = (event: { payload: unknown }) => {
      const owner = (event.payload as { name?: unknown } | undefined)?.name;
      // Plugins stop before modules when Hearth stops: that says nothing about the devices, and
      // saving them as unavailable would make every device start unavailable after a clean restart.
      if (typeof owner !== "string" || this.#runtimeStopping) return;
      for (const device of this.#devices.values()) {
        if (device.record.owner === owner && device.available) this.#setAvailable(device, false);
      }
    };
    const subs = ["$plugin.stopped", "$plugin.failed"].map((type) =>
      this.#k.bus.subscribe(type, ownerDown, { owner: "devices" }),
    );
    subs.push(
      this.#k.bus.subscribe(
        "$runtime.stopping",
        () => {
          this.#runtimeStopping = true;
        },
        { owner: "devices" },
      ),
    );
    // Once every plugin had its chance to start, devices whose plugin is not running (removed,
    // disabled, failed, skipped) are unavailable: nobody will report for them.
    subs.push(
      this.#k.bus.subscribe(
        "$runtime.started",
        () => {
          const running = new Set(
            this.#k.plugins
              .list()
              .filter((p) => p.state === "started")
              .map((p) => p.name),
          );
          for (const device of this.#devices.values()) {
            if (device.available && !running.has(device.record.owner)) this.#setAvailable(device, false);
          }
        },
        { owner: "devices" },
      ),
    );
    return () => {
      unwatch();
      for (const s of subs) s();
    };
  }

  stop(): void {
    this.#stopped = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
  }

  stats(): RegistryStats {
    let available = 0;
    let pending = 0;
    for (const d of this.#devices.values()) {
      if (d.available) available++;
      pending += d.pending.size;
    }
    return {
      devices: this.#devices.size,
      available,
      pending,
      ...this.#stats,
      skipped: this.#skipped.describe(),
    };
  }

  // ---- owners ----

  async announce(owner: string, input: AnnounceParams): Promise<{ id: string }> {
    const { capabilities, issues } = resolveCapabilities(input.capabilities);
    if (issues.length > 0) throw invalid(issues);
    const now = new Date().toISOString();
    const existingId = this.#byExternal.get(extKey(owner, input.externalId));
    const existing = existingId === undefined ? undefined : this.#devices.get(existingId);
    if (existing !== undefined) {
      const r = existing.record;
      const next: DeviceRecord = {
        ...r,
        name: r.userSet.name ? r.name : input.name,
        area: r.userSet.area ? r.area : input.area === undefined ? r.area : input.area,
        type: input.type,
        capabilities,
        attributes: input.attributes ?? r.attributes,
        availableTimeoutMs:
          input.availableTimeoutMs === undefined ? r.availableTimeoutMs : input.availableTimeoutMs,
      };
      if (!sameValue(stripTimes(next), stripTimes(r))) {
        next.updatedAt = now;
        await this.#k.storage.set(RECORDS_NAMESPACE, r.id, json(next));
        existing.record = next;
        // State of a capability the device no longer has is dropped, pending commands for it too.
        for (const key of Object.keys(existing.reported))
          if (!capOf(next, key)) delete existing.reported[key];
        for (const key of Object.keys(existing.desired)) if (!capOf(next, key)) delete existing.desired[key];
        for (const key of [...existing.pending.keys()]) if (!capOf(next, key)) existing.pending.delete(key);
        await this.#saveState(existing);
        this.#publishView(existing);
        void this.#k.bus.publish("device.updated", { id: r.id, device: this.view(existing) });
      }
      return { id: r.id };
    }
    const id = this.#freeId(slugId(owner, input.externalId));
    const record: DeviceRecord = {
      id,
      name: input.name,
      type: input.type,
      capabilities,
      owner,
      externalId: input.externalId,
      area: input.area ?? null,
      attributes: input.attributes ?? {},
      availableTimeoutMs: input.availableTimeoutMs ?? null,
      userSet: {},
      createdAt: now,
      updatedAt: now,
    };
    await this.#k.storage.set(RECORDS_NAMESPACE, id, json(record));
    // The owner describing the device again is the repair of a record skipped at start.
    this.#skipped.replaced(RECORDS_NAMESPACE, id);
    const device: Device = {
      record,
      reported: {},
      desired: {},
      pending: new Map(),
      available: true,
      lastSeen: null,
    };
    this.#devices.set(id, device);
    this.#byExternal.set(extKey(owner, input.externalId), id);
    await this.#saveState(device);
    this.#arm(device);
    this.#publishView(device);
    this.#log.info({ device: id, owner, type: input.type }, "device announced");
    void this.#k.bus.publish("device.announced", { id, device: this.view(device) });
    return { id };
  }

  /** Merges a partial report into `reported`; publishes one `device.state_changed` if anything changed. */
  async report(owner: string, ref: Ref, state: Record<string, unknown>): Promise<{ accepted: boolean }> {
    const device = this.#find(ref, owner, { quiet: true });
    this.#stats.reports++;
    if (device === undefined) {
      this.#stats.unknownReports++;
      this.#log.debug({ owner, ...ref }, "report for an unknown device dropped");
      return { accepted: false };
    }
    this.#owned(device, owner, "report for");
    const issues = reportIssues(device.record, state);
    if (issues.length > 0) throw invalid(issues);

    const id = device.record.id;
    device.lastSeen = new Date().toISOString();
    this.#arm(device);
    if (!device.available) this.#setAvailable(device, true);

    const action = state.action;
    const changed: string[] = [];
    const old = { ...device.reported };
    let confirmed = false;
    for (const [key, value] of Object.entries(state)) {
      if (key === "action") continue;
      if (sameValue(device.reported[key], value)) continue;
      changed.push(key);
      device.reported[key] = value;
      const pending = device.pending.get(key);
      if (pending !== undefined && sameValue(pending.value, value)) {
        device.pending.delete(key);
        confirmed = true;
      } else if (pending === undefined) {
        // Unsolicited (a wall switch): what the device is now is what is wanted.
        device.desired[key] = value;
      }
    }
    if (!this.#isCurrent(device)) return { accepted: false };
    await this.#saveState(device);
    if (!this.#isCurrent(device)) return { accepted: false };
    this.#publishView(device);
    if (changed.length > 0) {
      void this.#k.bus.publishOrdered("device.state_changed", {
        id,
        old,
        new: { ...device.reported },
        changed,
        source: confirmed ? "command" : "external",
      });
    }
    if (typeof action === "string") void this.#k.bus.publish("device.action", { id, action });
    return { accepted: true };
  }

  async setAvailableByOwner(owner: string, ref: Ref, available: boolean): Promise<DeviceView> {
    const device = this.#find(ref, owner);
    this.#owned(device, owner, "availability of");
    if (available) this.#arm(device);
    if (device.available !== available) this.#setAvailable(device, available);
    return this.view(device);
  }

  async forget(owner: string, ref: Ref): Promise<{ id: string }> {
    const device = this.#find(ref, owner);
    this.#owned(device, owner, "forget");
    await this.#drop(device);
    return { id: device.record.id };
  }

  // ---- everyone ----

  list(filter: { area?: string; type?: string; owner?: string; capability?: string }): DeviceView[] {
    const out: DeviceView[] = [];
    for (const d of this.#devices.values()) {
      const r = d.record;
      if (filter.area !== undefined && r.area !== filter.area) continue;
      if (filter.type !== undefined && r.type !== filter.type) continue;
      if (filter.owner !== undefined && r.owner !== filter.owner) continue;
      if (filter.capability !== undefined && capOf(r, filter.capability) === undefined) continue;
      out.push(this.view(d));
    }
    return out.sort((a, b) => a.id.localeCompare(b.id));
  }

  get(id: string): DeviceView {
    return this.view(this.#byId(id));
  }

  areas(): { area: string; devices: number }[] {
    const counts = new Map<string, number>();
    for (const d of this.#devices.values()) {
      if (d.record.area !== null) counts.set(d.record.area, (counts.get(d.record.area) ?? 0) + 1);
    }
    return [...counts].sort(([a], [b]) => a.localeCompare(b)).map(([area, devices]) => ({ area, devices }));
  }

  async update(id: string, changes: { name?: string; area?: string | null }): Promise<DeviceView> {
    const device = this.#byId(id);
    const r = device.record;
    const next: DeviceRecord = { ...r, userSet: { ...r.userSet } };
    if (changes.name !== undefined) {
      next.name = changes.name;
      next.userSet.name = true;
    }
    if (changes.area !== undefined) {
      next.area = changes.area;
      next.userSet.area = true;
    }
    next.updatedAt = new Date().toISOString();
    await this.#k.storage.set(RECORDS_NAMESPACE, id, json(next));
    device.record = next;
    this.#publishView(device);
    void this.#k.bus.publish("device.updated", { id, device: this.view(device) });
    return this.view(device);
  }

  async remove(id: string): Promise<void> {
    await this.#drop(this.#byId(id));
  }

  /**
   * Validates the changes against the device, merges them into `desired`, marks what differs from
   * `reported` pending, and calls `<owner>.command`. Returns the device as it stands when the owner
   * acknowledged; a report must then confirm within `commandTimeoutMs`.
   */
  async command(id: string, changes: Record<string, unknown>): Promise<DeviceView> {
    const device = this.#byId(id);
    const keys = Object.keys(changes);
    const issues = commandIssues(device.record, changes);
    if (issues.length > 0) throw invalid(issues);
    if (!device.available) {
      throw new HearthError("DEVICE_UNAVAILABLE", `Device "${id}" is unavailable: it is not answering`, {
        data: { id },
      });
    }
    this.#stats.commands++;
    const seq = ++this.#commandSeq;
    for (const key of keys) {
      device.desired[key] = changes[key];
      if (sameValue(device.reported[key], changes[key])) device.pending.delete(key);
      else device.pending.set(key, { value: changes[key], command: seq });
    }
    this.#publishView(device);
    const { owner, externalId } = device.record;
    try {
      await this.#k.services.call(
        `${owner}.command`,
        { id, externalId, changes },
        { caller: "devices", timeoutMs: this.#o.commandTimeoutMs },
      );
    } catch (err) {
      // Revert what this command still holds: a key a later command took over, or a report
      // confirmed meanwhile, is left as it is. What the device wants is then what it last said.
      for (const key of keys) {
        if (device.pending.get(key)?.command !== seq) continue;
        device.pending.delete(key);
        revertDesired(device, key);
      }
      if (this.#isCurrent(device)) this.#publishView(device);
      const code = isHearthError(err) ? err.code : "INTERNAL_ERROR";
      this.#failed(id, changes, code, errorMessage(err));
      throw err;
    }
    if (!this.#isCurrent(device)) throw this.#gone(id);
    if ([...device.pending.values()].some((p) => p.command === seq))
      this.#awaitConfirmation(device, seq, changes);
    return this.view(device);
  }

  /** Commands every device in the area with the capabilities named, each with the changes it has. */
  async commandArea(area: string, changes: Record<string, unknown>) {
    const targets = [...this.#devices.values()].filter((d) => d.record.area === area);
    if (targets.length === 0) {
      throw new HearthError("NOT_FOUND", `No devices in area "${area}"`, { data: { area } });
    }
    const names = Object.keys(changes);
    // A name no device of the area can take is a mistake (a typo), not something to skip quietly.
    const unknown = names.filter((k) => !targets.some((d) => capOf(d.record, k)?.commandable));
    if (names.length === 0 || unknown.length > 0) {
      throw invalid(
        names.length === 0
          ? [{ path: ["changes"], message: "no changes given" }]
          : unknown.map((k) => ({
              path: [k],
              message: `no device in area "${area}" can be commanded "${k}"`,
            })),
      );
    }
    const results = await Promise.all(
      targets
        .map((d) => {
          const own = Object.fromEntries(
            names.filter((k) => capOf(d.record, k)?.commandable).map((k) => [k, changes[k]]),
          );
          return { d, own };
        })
        .filter(({ own }) => Object.keys(own).length > 0)
        .map(async ({ d, own }) => {
          try {
            await this.command(d.record.id, own);
            return { id: d.record.id, ok: true };
          } catch (err) {
            return {
              id: d.record.id,
              ok: false,
              code: isHearthError(err) ? err.code : "INTERNAL_ERROR",
              message: errorMessage(err),
            };
          }
        }),
    );
    return { area, results: results.sort((a, b) => a.id.localeCompare(b.id)) };
  }

  view(device: Device): DeviceView {
    const r = device.record;
    return {
      id: r.id,
      name: r.name,
      type: r.type,
      capabilities: r.capabilities,
      owner: r.owner,
      externalId: r.externalId,
      area: r.area,
      attributes: r.attributes,
      state: {
        desired: { ...device.desired },
        reported: { ...device.reported },
        pending: [...device.pending.keys()].sort(),
      },
      available: device.available,
      availableTimeoutMs: this.#timeoutOf(r),
      lastSeen: device.lastSeen,
      createdAt: r.createdAt,
      updatedAt: r.updatedAt,
    };
  }

  // ---- internals ----

  #awaitConfirmation(device: Device, seq: number, changes: Record<string, unknown>): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (this.#stopped || !this.#isCurrent(device)) return;
      const late = [...device.pending].filter(([, p]) => p.command === seq).map(([k]) => k);
      if (late.length === 0) return;
      for (const key of late) {
        device.pending.delete(key);
        // Nothing confirmed it: the device is as it last said.
        revertDesired(device, key);
      }
      this.#publishView(device);
      this.#log.warn(
        { device: device.record.id, keys: late, timeoutMs: this.#o.commandTimeoutMs },
        "device did not confirm a command in time",
      );
      this.#failed(device.record.id, changes, "DEVICE_COMMAND_TIMEOUT", "timeout");
    }, this.#o.commandTimeoutMs);
    timer.unref?.();
    this.#timers.add(timer);
  }

  #failed(id: string, changes: Record<string, unknown>, code: string, reason: string): void {
    this.#stats.commandsFailed++;
    void this.#k.bus.publish("device.command_failed", { id, changes, code, reason });
  }

  #setAvailable(device: Device, available: boolean): void {
    device.available = available;
    if (!available) {
      this.#k.state.delete(aliveKey(device.record.id));
      // A device that is not answering confirms nothing.
      for (const key of device.pending.keys()) revertDesired(device, key);
      device.pending.clear();
    }
    this.#publishView(device);
    void this.#saveState(device).catch((err: unknown) =>
      this.#log.error(
        { device: device.record.id, err: errorMessage(err) },
        "could not save device availability",
      ),
    );
    void this.#k.bus.publish("device.availability_changed", { id: device.record.id, available });
  }

  /** (Re)starts the device's silence deadline. */
  #arm(device: Device): void {
    this.#k.state.set(aliveKey(device.record.id), true, { ttlMs: this.#timeoutOf(device.record) });
  }

  #timeoutOf(r: DeviceRecord): number {
    if (r.availableTimeoutMs !== null) return r.availableTimeoutMs;
    const battery = r.capabilities.some((c) => c.name === "battery");
    return battery ? this.#o.availableTimeoutMs.battery : this.#o.availableTimeoutMs.mains;
  }

  #publishView(device: Device): void {
    this.#k.state.set(viewKey(device.record.id), this.view(device));
  }

  async #saveState(device: Device): Promise<void> {
    const value: DeviceStateRecord = {
      reported: device.reported,
      desired: device.desired,
      available: device.available,
      lastSeen: device.lastSeen,
    };
    await this.#k.storage.set(STATE_NAMESPACE, device.record.id, json(value), { deferred: true });
  }

  async #drop(device: Device): Promise<void> {
    const { id, owner, externalId } = device.record;
    await this.#k.storage.transaction(async (tx) => {
      await tx.delete(RECORDS_NAMESPACE, id);
      await tx.delete(STATE_NAMESPACE, id);
    });
    // A command or report still in flight holds this object: it must neither publish nor save it.
    device.pending.clear();
    this.#devices.delete(id);
    this.#byExternal.delete(extKey(owner, externalId));
    this.#k.state.delete(aliveKey(id));
    this.#k.state.delete(viewKey(id));
    this.#log.info({ device: id, owner }, "device removed");
    void this.#k.bus.publish("device.removed", { id });
  }

  /** Whether `device` is still the registry's (not removed, not replaced by a re-announce since). */
  #isCurrent(device: Device): boolean {
    return this.#devices.get(device.record.id) === device;
  }

  #gone(id: string): HearthError {
    return new HearthError("NOT_FOUND", `Device "${id}" was removed while the request ran`, { data: { id } });
  }

  #freeId(base: string): string {
    if (!this.#devices.has(base)) return base;
    for (let n = 2; ; n++) {
      const id = `${base}-${n}`;
      if (!this.#devices.has(id)) return id;
    }
  }

  #byId(id: string): Device {
    const device = this.#devices.get(id);
    if (device === undefined) throw new HearthError("NOT_FOUND", `No device "${id}"`, { data: { id } });
    return device;
  }

  #find(ref: Ref, owner: string, options: { quiet: true }): Device | undefined;
  #find(ref: Ref, owner: string): Device;
  #find(ref: Ref, owner: string, options?: { quiet: true }): Device | undefined {
    const id = "id" in ref ? ref.id : this.#byExternal.get(extKey(owner, ref.externalId));
    const device = id === undefined ? undefined : this.#devices.get(id);
    if (device === undefined && options?.quiet !== true) {
      throw new HearthError("NOT_FOUND", `No device ${JSON.stringify(ref)} of "${owner}"`, {
        data: { ...ref },
      });
    }
    return device;
  }

  #owned(device: Device, owner: string, what: string): void {
    if (device.record.owner !== owner) {
      throw new HearthError(
        "DEVICE_FORBIDDEN",
        `"${owner}" may not ${what} device "${device.record.id}": it belongs to "${device.record.owner}"`,
        { data: { id: device.record.id, owner: device.record.owner, caller: owner } },
      );
    }
  }
}
