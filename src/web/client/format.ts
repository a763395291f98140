/** How values read to people: units, relative times, capability names. */

const LABELS: Record<string, string> = {
  on_off: "power",
  brightness: "brightness",
  color_temp: "colour temperature",
  color: "colour",
  position: "position",
  temperature: "temperature",
  humidity: "humidity",
  pressure: "pressure",
  illuminance: "illuminance",
  contact: "door",
  motion: "motion",
  occupancy: "occupancy",
  water_leak: "water leak",
  battery: "battery",
  power: "power draw",
  energy: "energy",
  voltage: "voltage",
  action: "last action",
};

export function capLabel(name: string): string {
  return LABELS[name] ?? name.replace(/_/g, " ");
}

/** A reported value with its unit; booleans in the words the capability calls for. */
export function showValue(cap: string, value: unknown, unit?: string): string {
  if (value === undefined || value === null) return "—";
  if (typeof value === "boolean") {
    switch (cap) {
      case "on_off":
        return value ? "on" : "off";
      case "contact":
        return value ? "closed" : "open";
      case "motion":
      case "occupancy":
        return value ? "detected" : "clear";
      case "water_leak":
        return value ? "leak!" : "dry";
      default:
        return value ? "yes" : "no";
    }
  }
  if (typeof value === "number") {
    const n = Number.isInteger(value) ? String(value) : value.toFixed(1);
    return unit ? `${n}${unit === "%" || unit === "°C" ? "" : " "}${unit}` : n;
  }
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

export function ago(iso: string | null | undefined): string {
  if (!iso) return "never";
  const s = Math.round((Date.now() - Date.parse(iso)) / 1000);
  if (!Number.isFinite(s)) return iso;
  if (s < 5) return "just now";
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return new Date(iso).toLocaleString();
}

export function duration(seconds: number): string {
  const d = Math.floor(seconds / 86400);
  const hrs = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  return d > 0 ? `${d} d ${hrs} h` : hrs > 0 ? `${hrs} h ${m} min` : `${m} min ${Math.floor(seconds % 60)} s`;
}

export function areaName(area: string | null): string {
  if (area === null || area === "") return "No area";
  const words = area.replace(/[-_]+/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}
