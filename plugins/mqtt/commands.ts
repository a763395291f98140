/**
 * Commands arriving on `<base>/devices/<id>/set`: the payload checked (size, JSON, shape), Home
 * Assistant's JSON-schema light keys translated, then the devices module's command path. The result,
 * good or bad, goes to `<base>/devices/<id>/set/result`.
 */

/** What a `set` message asks for, or why it cannot be done. */
export type ParsedSet =
  | { ok: true; changes: Record<string, unknown>; requestId?: string }
  | {
      ok: false;
      code: "PAYLOAD_TOO_LARGE" | "INVALID_JSON" | "VALIDATION_FAILED";
      message: string;
      requestId?: string;
    };

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * `{"on_off": true}`, or `{"changes": {...}, "requestId": "…"}` (what another Hearth node sends), or
 * Home Assistant's light JSON (`{"state": "ON", "brightness": 40, "color_temp": 2700,
 * "color": {"h": 30, "s": 80}}`).
 */
export function parseSet(payload: Uint8Array, maxBytes: number): ParsedSet {
  if (payload.byteLength > maxBytes) {
    return {
      ok: false,
      code: "PAYLOAD_TOO_LARGE",
      message: `payload of ${payload.byteLength} bytes is over ${maxBytes}`,
    };
  }
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(payload));
  } catch {
    return { ok: false, code: "INVALID_JSON", message: "the payload is not JSON" };
  }
  if (!isObject(body))
    return { ok: false, code: "VALIDATION_FAILED", message: "the payload must be a JSON object" };
  const requestId =
    typeof body.requestId === "string" && /^[\x21-\x7e]{1,64}$/.test(body.requestId)
      ? body.requestId
      : undefined;
  const rid = requestId === undefined ? {} : { requestId };
  let changes: Record<string, unknown>;
  if (body.changes !== undefined) {
    if (!isObject(body.changes))
      return { ok: false, code: "VALIDATION_FAILED", message: "changes must be an object", ...rid };
    changes = { ...body.changes };
  } else {
    const { requestId: _r, from: _f, ...rest } = body;
    changes = rest;
  }
  // Home Assistant's JSON schema.
  if (changes.state === "ON" || changes.state === "OFF") {
    changes.on_off = changes.state === "ON";
    delete changes.state;
  }
  if (isObject(changes.color) && "h" in changes.color && "s" in changes.color) {
    changes.color = { hue: changes.color.h, saturation: changes.color.s };
  }
  delete changes.transition;
  delete changes.color_mode;
  if (Object.keys(changes).length === 0) {
    return { ok: false, code: "VALIDATION_FAILED", message: "no changes in the payload", ...rid };
  }
  return { ok: true, changes, ...rid };
}

/** Remembers the last results by request id, so a redelivered QoS 1 message is not carried out twice. */
export class RecentResults {
  readonly #max: number;
  readonly #items = new Map<string, string>();
  constructor(max = 256) {
    this.#max = max;
  }
  get(id: string): string | undefined {
    return this.#items.get(id);
  }
  set(id: string, result: string): void {
    this.#items.set(id, result);
    if (this.#items.size > this.#max) {
      const oldest = this.#items.keys().next().value;
      if (oldest !== undefined) this.#items.delete(oldest);
    }
  }
}
