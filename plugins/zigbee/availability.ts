/**
 * Device availability from herdsman's own signals, told to the devices module (which keeps the
 * deadline: `availableTimeoutMs`, 10 min mains / 25 h battery by default).
 *
 * - Anything heard from a device (herdsman's `lastSeenChanged`: a report, a response, an announce)
 *   makes it available and re-arms its deadline, even when the message carries no state.
 * - A mains-powered device (a router) that has been silent for `pingIntervalMs` is pinged (herdsman's
 *   `ping()`: a read of genBasic's zclVersion, no route recovery); no answer makes it unavailable,
 *   an answer keeps it available. Quiet but powered bulbs so stay available; one switched off at the
 *   wall is noticed within about 1.5 × `pingIntervalMs` instead of the devices module's timeout.
 * - Battery devices sleep and cannot be pinged: their silence is left to the devices module's timeout.
 */

/** The part of a herdsman device this reads. */
export interface AvailabilityDevice {
  ieeeAddr: string;
  type: string;
  powerSource?: string | undefined;
  lastSeen?: number | undefined;
  interviewState?: string;
  ping(disableRecovery?: boolean): Promise<void>;
}

export interface AvailabilityOptions {
  /** Silence after which a mains device is pinged; 0 = never ping. */
  pingIntervalMs: number;
  /** Tells the devices module (`devices.set_available`). */
  setAvailable(ieee: string, available: boolean): Promise<void>;
  log: { debug(obj: object, msg: string): void };
  now?: () => number;
}

/** Re-telling "available" re-arms the devices module's deadline; more often than this is noise. */
const REARM_MS = 60_000;

/** A router, or a device whose genBasic powerSource is mains or DC. */
export function isMainsPowered(d: Pick<AvailabilityDevice, "type" | "powerSource">): boolean {
  if (d.type === "Router") return true;
  return typeof d.powerSource === "string" && /mains|dc source/i.test(d.powerSource);
}

export interface Availability {
  /** herdsman heard from the device. */
  seen(d: AvailabilityDevice): void;
  /** The device left or the stick went away: unavailable now. */
  lost(ieee: string): void;
  /**
   * Pings the mains devices silent for `pingIntervalMs`, one at a time; with `all`, every mains
   * device however recently heard (when the network comes up: those made unavailable with the stick
   * answer, or are found gone, at once instead of after `pingIntervalMs`).
   */
  sweep(
    devices: readonly AvailabilityDevice[],
    signal?: AbortSignal,
    options?: { all?: boolean },
  ): Promise<void>;
  /** How often to sweep. */
  readonly sweepEveryMs: number;
}

export function createAvailability(o: AvailabilityOptions): Availability {
  const now = o.now ?? Date.now;
  /** What the devices module was last told, and when. */
  const told = new Map<string, { available: boolean; at: number }>();
  const tell = (ieee: string, available: boolean, force = false): Promise<void> => {
    const last = told.get(ieee);
    const t = now();
    if (!force && last?.available === available && (!available || t - last.at < REARM_MS))
      return Promise.resolve();
    told.set(ieee, { available, at: t });
    return o.setAvailable(ieee, available).catch((err: unknown) => {
      told.delete(ieee);
      o.log.debug({ ieee, err: String(err) }, "availability not taken");
    });
  };
  return {
    sweepEveryMs: Math.max(250, Math.floor(o.pingIntervalMs / 2)),
    seen(d) {
      if (d.type === "Coordinator") return;
      void tell(d.ieeeAddr, true);
    },
    lost(ieee) {
      void tell(ieee, false, true);
    },
    async sweep(devices, signal, options) {
      if (o.pingIntervalMs <= 0) return;
      for (const d of devices) {
        if (signal?.aborted) return;
        if (d.type === "Coordinator" || d.interviewState !== "SUCCESSFUL" || !isMainsPowered(d)) continue;
        if (!options?.all && now() - (d.lastSeen ?? 0) < o.pingIntervalMs) continue;
        try {
          await d.ping(true);
          await tell(d.ieeeAddr, true, true);
        } catch (err) {
          if (signal?.aborted) return;
          o.log.debug({ ieee: d.ieeeAddr, err: String(err).slice(0, 200) }, "ping unanswered");
          await tell(d.ieeeAddr, false);
        }
      }
    },
  };
}
