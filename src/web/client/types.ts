/** The shapes the page reads from the API (see the README's Devices section). */

export interface Capability {
  name: string;
  kind: "boolean" | "number" | "color" | "action";
  unit?: string;
  min?: number;
  max?: number;
  commandable: boolean;
}

export interface Device {
  id: string;
  name: string;
  type: string;
  capabilities: Capability[];
  area: string | null;
  available: boolean;
  lastSeen: string | null;
  state: { desired: Record<string, unknown>; reported: Record<string, unknown>; pending: string[] };
  attributes: Record<string, unknown>;
}
