/**
 * The required `devices` module: the device registry behind `devices.*` services, `device.*` events,
 * `devices/<id>` state keys and the `/api/v1/devices` and `/api/v1/areas` routes (through the
 * HttpRegistry, like any domain module).
 */
import { z } from "zod";
import { HearthError } from "../../errors.ts";
import { type DefinedModule, defineModule } from "../../kernel/modules/index.ts";
import type { ServiceCallContext } from "../../kernel/services/types.ts";
import { CAPABILITIES, CAPABILITY_NAMES, DEVICE_TYPES } from "./capabilities.ts";
import {
  AnnounceParams,
  AreaCommandResultSchema,
  AreaName,
  AreasSchema,
  CommandAreaParams,
  CommandParams,
  changesOf,
  DeviceId,
  DeviceListSchema,
  DeviceViewSchema,
  ForgetParams,
  GetParams,
  ListParams,
  ReportParams,
  SetAvailableParams,
  UpdateParams,
} from "./model.ts";
import { DeviceRegistry } from "./registry.ts";

export type { Capability, CapabilityName, DeviceType } from "./capabilities.ts";
export type { DeviceView } from "./model.ts";
export { DeviceRegistry } from "./registry.ts";
export { CAPABILITIES, CAPABILITY_NAMES, DEVICE_TYPES };

const OWNER = "devices";

/** The plugin (or module) calling: only an owner may announce, report, set availability or forget. */
function ownerOfCall(call: ServiceCallContext, isPlugin: (name: string) => boolean): string {
  const caller = call.caller;
  // Only a plugin drives devices: not the API, not a module (a rule's service_call runs as "automation").
  if (caller === undefined || call.identity !== undefined || !isPlugin(caller)) {
    throw new HearthError(
      "DEVICE_FORBIDDEN",
      `${call.name} is for the plugin that drives the device, not for ${caller === undefined ? "an anonymous caller" : `"${caller}"`}`,
      { data: { service: call.name } },
    );
  }
  return caller;
}

export function createDevicesModule(): DefinedModule {
  let registry: DeviceRegistry | undefined;
  let unwire: (() => void) | undefined;
  const reg = (): DeviceRegistry => {
    if (registry === undefined)
      throw new HearthError("RUNTIME_NOT_READY", "The devices module is not started");
    return registry;
  };

  return defineModule({
    name: OWNER,
    required: true,
    async register(ctx) {
      const { services, http, config } = ctx;
      const isPlugin = (name: string) => ctx.plugins.list().some((p) => p.name === name);
      const ownerOf = (call: ServiceCallContext) => ownerOfCall(call, isPlugin);
      registry = new DeviceRegistry({
        kernel: ctx,
        log: ctx.log,
        commandTimeoutMs: config.devices.commandTimeoutMs,
        availableTimeoutMs: config.devices.availableTimeoutMs,
      });
      const register = <P, R>(
        action: string,
        handler: (params: P, call: ServiceCallContext) => R | Promise<R>,
        schema: z.ZodType<P>,
        description: string,
      ) => services.register<P, R>(`devices.${action}`, handler, { owner: OWNER, schema, description });

      // For the plugins that drive devices.
      register(
        "announce",
        (p: AnnounceParams, call) => reg().announce(ownerOf(call), p),
        AnnounceParams,
        "Adds or updates a device of the calling plugin (idempotent by externalId).",
      );
      register(
        "report",
        (p: ReportParams, call) =>
          reg().report(ownerOf(call), "id" in p ? { id: p.id } : { externalId: p.externalId }, p.state),
        ReportParams,
        "Merges a device's reported state (partial).",
      );
      register(
        "set_available",
        (p: SetAvailableParams, call) =>
          reg().setAvailableByOwner(
            ownerOf(call),
            "id" in p ? { id: p.id } : { externalId: p.externalId },
            p.available,
          ),
        SetAvailableParams,
        "Marks a device of the calling plugin available or not.",
      );
      register(
        "forget",
        (p: ForgetParams, call) => reg().forget(ownerOf(call), p),
        ForgetParams,
        "Removes a device of the calling plugin.",
      );

      // For everyone.
      register(
        "list",
        (p: z.infer<typeof ListParams>) => ({ devices: reg().list(p) }),
        ListParams,
        "Devices, filtered by area, type, owner or capability.",
      );
      register("get", (p: z.infer<typeof GetParams>) => reg().get(p.id), GetParams, "One device.");
      register(
        "update",
        (p: z.infer<typeof UpdateParams>) => reg().update(p.id, { name: p.name, area: p.area }),
        UpdateParams,
        "Renames a device or moves it to an area (kept across re-announces).",
      );
      register(
        "remove",
        async (p: z.infer<typeof GetParams>) => {
          await reg().remove(p.id);
        },
        GetParams,
        "Removes a device (it comes back only if its plugin announces it again).",
      );
      register(
        "command",
        (p: z.infer<typeof CommandParams>) => reg().command(p.id, changesOf(p, "id")),
        CommandParams,
        "Tells a device to change: { id, changes } (or the changes beside id).",
      );
      register(
        "command_area",
        (p: z.infer<typeof CommandAreaParams>) => reg().commandArea(p.area, changesOf(p, "area")),
        CommandAreaParams,
        "Commands every device in an area that has the capabilities named.",
      );
      register(
        "areas",
        () => ({ areas: reg().areas() }),
        z.strictObject({}),
        "Areas in use, with device counts.",
      );

      const IdParams = z.object({ id: DeviceId });
      const changesBody = z.record(z.string(), z.unknown());
      http.register(OWNER, {
        method: "GET",
        path: "/",
        service: "devices.list",
        summary: "List devices (filters: area, type, owner, capability)",
        scope: "read",
        query: ListParams,
        response: DeviceListSchema,
      });
      http.register(OWNER, {
        method: "GET",
        path: "/:id",
        service: "devices.get",
        summary: "One device",
        scope: "read",
        params: IdParams,
        response: DeviceViewSchema,
      });
      http.register(OWNER, {
        method: "PATCH",
        path: "/:id",
        service: "devices.update",
        summary: "Rename a device or move it to an area (null: none)",
        scope: "admin",
        params: IdParams,
        body: z.strictObject({
          name: z.string().trim().min(1).max(128).optional(),
          area: AreaName.nullable().optional(),
        }),
        response: DeviceViewSchema,
      });
      http.register(OWNER, {
        method: "DELETE",
        path: "/:id",
        service: "devices.remove",
        summary: "Remove a device",
        scope: "admin",
        params: IdParams,
        status: 204,
      });
      http.register(OWNER, {
        method: "POST",
        path: "/:id/command",
        service: "devices.command",
        summary: 'Command a device; the body is the changes, e.g. { "on_off": true, "brightness": 40 }',
        scope: "control",
        params: IdParams,
        body: changesBody,
        response: DeviceViewSchema,
      });
      http.register(OWNER, {
        method: "GET",
        path: "/",
        base: "areas",
        service: "devices.areas",
        summary: "Areas in use, with device counts",
        scope: "read",
        response: AreasSchema,
      });
      http.register(OWNER, {
        method: "POST",
        path: "/:area/command",
        base: "areas",
        service: "devices.command_area",
        summary: "Command every device in an area that has the capabilities named",
        scope: "control",
        params: z.object({ area: AreaName }),
        body: changesBody,
        response: AreaCommandResultSchema,
      });
      await registry.load();
      unwire = registry.wire();
    },
    stop() {
      unwire?.();
      registry?.stop();
    },
    health() {
      if (registry === undefined) return { status: "healthy" };
      const s = registry.stats();
      const detail = `${s.devices} devices, ${s.available} available, ${s.pending} pending changes, ${s.commandsFailed} of ${s.commands} commands failed, ${s.unknownReports} reports for unknown devices dropped`;
      if (s.skipped !== undefined) return { status: "degraded", detail: `${detail}; ${s.skipped}` };
      return { status: "healthy", detail };
    },
  });
}
