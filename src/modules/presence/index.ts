/**
 * The required `presence` module: people and their trackers behind `presence.*` services,
 * `presence.changed` / `presence.home_occupied` / `presence.home_empty` events, the state keys
 * `presence/<personId>` and `presence/anyone_home`, and the `/api/v1/people` and `/api/v1/presence`
 * routes (through the HttpRegistry).
 */
import { z } from "zod";
import { HearthError } from "../../errors.ts";
import { type DefinedModule, defineModule } from "../../kernel/modules/index.ts";
import type { ServiceCallContext } from "../../kernel/services/types.ts";
import { type Clock, systemClock } from "../../kernel/util/index.ts";
import { Household } from "./household.ts";
import {
  ClearOverrideParams,
  CreatePersonParams,
  OverrideBody,
  OverrideParams,
  PeopleSchema,
  PersonId,
  PersonIdParams,
  PersonViewSchema,
  PresenceSchema,
  ReportParams,
  ReportResultSchema,
  UpdatePersonBody,
  UpdatePersonParams,
} from "./model.ts";

export { ANYONE_HOME_KEY, type ChangeReason } from "./household.ts";
export type { Override, PersonView, Tracker, TrackerView } from "./model.ts";

const OWNER = "presence";

export interface PresenceModuleOptions {
  /** Wall time and timers for the away delay and override expiry (tests inject a manual one). */
  clock?: Clock;
}

export function createPresenceModule(options: PresenceModuleOptions = {}): DefinedModule {
  let household: Household | undefined;
  let unwire: (() => void) | undefined;
  const home = (): Household => {
    if (household === undefined)
      throw new HearthError("RUNTIME_NOT_READY", "The presence module is not started");
    return household;
  };

  return defineModule({
    name: OWNER,
    required: true,
    async register(ctx) {
      const { services, http, config } = ctx;
      household = new Household({
        kernel: ctx,
        log: ctx.log,
        clock: options.clock ?? systemClock,
        awayDelayMs: config.presence.awayDelayMs,
        sourceTtlMs: config.presence.sourceTtlMs,
      });
      const register = <P, R>(
        action: string,
        handler: (params: P, call: ServiceCallContext) => R | Promise<R>,
        schema: z.ZodType<P>,
        description: string,
      ) => services.register<P, R>(`presence.${action}`, handler, { owner: OWNER, schema, description });

      register(
        "list_people",
        () => ({ people: home().list() }),
        z.strictObject({}),
        "Everyone, with where they are.",
      );
      register(
        "get_person",
        (p: z.infer<typeof PersonIdParams>) => home().get(p.id),
        PersonIdParams,
        "One person.",
      );
      register(
        "create_person",
        (p: CreatePersonParams) => home().create(p),
        CreatePersonParams,
        "Adds a person { id?, name, trackers[], awayDelayMs? }.",
      );
      register(
        "update_person",
        (p: UpdatePersonParams) => home().update(p),
        UpdatePersonParams,
        "Renames a person, replaces their trackers or sets their away delay (null: the default).",
      );
      register(
        "remove_person",
        async (p: z.infer<typeof PersonIdParams>) => {
          await home().remove(p.id);
        },
        PersonIdParams,
        "Removes a person.",
      );
      register(
        "override",
        (p: OverrideParams) => home().override(p),
        OverrideParams,
        "Says a person is home or away whatever the trackers say, until untilMs (epoch ms), for forMs, or until cleared.",
      );
      register(
        "clear_override",
        (p: z.infer<typeof ClearOverrideParams>) => home().clearOverride(p.personId),
        ClearOverrideParams,
        "Ends a person's override: the trackers decide again.",
      );
      register(
        "report",
        (p: ReportParams) => home().report(p.tracker, p.home),
        ReportParams,
        "A named source (a phone, a script) says home or away; it counts for the tracker's ttlMs.",
      );
      register(
        "status",
        () => home().summary(),
        z.strictObject({}),
        "Whether anyone is home, and each person's home flag.",
      );

      const IdParams = z.object({ id: PersonId });
      const PersonParams = z.object({ personId: PersonId });
      http.register(OWNER, {
        method: "GET",
        path: "/",
        base: "people",
        service: "presence.list_people",
        summary: "Everyone, with their trackers and where they are",
        scope: "read",
        response: PeopleSchema,
      });
      http.register(OWNER, {
        method: "POST",
        path: "/",
        base: "people",
        service: "presence.create_person",
        summary:
          "Add a person: { id?, name, trackers: [{ type: device, device } | { type: source, name, ttlMs? }], awayDelayMs? }",
        scope: "admin",
        body: CreatePersonParams,
        response: PersonViewSchema,
        status: 201,
      });
      http.register(OWNER, {
        method: "GET",
        path: "/:id",
        base: "people",
        service: "presence.get_person",
        summary: "One person",
        scope: "read",
        params: IdParams,
        response: PersonViewSchema,
      });
      http.register(OWNER, {
        method: "PATCH",
        path: "/:id",
        base: "people",
        service: "presence.update_person",
        summary: "Rename a person, replace their trackers or set their away delay (null: the default)",
        scope: "admin",
        params: IdParams,
        body: UpdatePersonBody,
        response: PersonViewSchema,
      });
      http.register(OWNER, {
        method: "DELETE",
        path: "/:id",
        base: "people",
        service: "presence.remove_person",
        summary: "Remove a person",
        scope: "admin",
        params: IdParams,
        status: 204,
      });
      http.register(OWNER, {
        method: "POST",
        path: "/:personId/override",
        base: "people",
        service: "presence.override",
        summary:
          "Home or away whatever the trackers say: { home, untilMs? | forMs? } (neither: until cleared)",
        scope: "control",
        params: PersonParams,
        body: OverrideBody,
        response: PersonViewSchema,
      });
      http.register(OWNER, {
        method: "DELETE",
        path: "/:personId/override",
        base: "people",
        service: "presence.clear_override",
        summary: "End a person's override",
        scope: "control",
        params: PersonParams,
        response: PersonViewSchema,
      });
      http.register(OWNER, {
        method: "POST",
        path: "/report",
        service: "presence.report",
        summary: "A source tracker (a phone's webhook) says home or away: { tracker, home }",
        scope: "control",
        body: ReportParams,
        response: ReportResultSchema,
      });
      http.register(OWNER, {
        method: "GET",
        path: "/",
        service: "presence.status",
        summary: "Whether anyone is home, and who",
        scope: "read",
        response: PresenceSchema,
      });
      await household.load();
      unwire = household.wire();
    },
    start() {
      home().start();
    },
    stop() {
      unwire?.();
      household?.stop();
    },
    health() {
      if (household === undefined) return { status: "healthy" };
      const s = household.stats();
      const detail = `${s.people} people, ${s.home} home, ${s.sources} source reports live`;
      if (s.skipped !== undefined) return { status: "degraded", detail: `${detail}; ${s.skipped}` };
      return { status: "healthy", detail };
    },
  });
}
