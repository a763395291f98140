/**
 * Live bus events over `GET /api/v1/events/stream?pattern=` (Server-Sent Events), read with fetch so
 * that every event type arrives (EventSource only hands out the types it was told about). Reconnects
 * after a drop; stops on 401 (the session ended) or when closed.
 */

export interface BusEvent {
  type: string;
  seq: number;
  ts: number;
  payload: Record<string, unknown>;
}

export interface Stream {
  close(): void;
}

const RETRY_MS = 2000;

export function subscribe(
  pattern: string,
  onEvent: (e: BusEvent) => void,
  onStatus: (status: "open" | "retrying" | "closed", detail?: string) => void = () => {},
): Stream {
  const abort = new AbortController();
  let closed = false;

  async function run(): Promise<void> {
    while (!closed) {
      try {
        const res = await fetch(`/api/v1/events/stream?pattern=${encodeURIComponent(pattern)}`, {
          credentials: "same-origin",
          headers: { Accept: "text/event-stream" },
          signal: abort.signal,
        });
        if (!res.ok || res.body === null) {
          const body = (await res.json().catch(() => ({}))) as {
            error?: { code?: string; message?: string };
          };
          const detail = `${body.error?.code ?? `HTTP_${res.status}`}: ${body.error?.message ?? ""}`;
          if (res.status === 401 || res.status === 403 || res.status === 400 || res.status === 422) {
            onStatus("closed", detail);
            return;
          }
          onStatus("retrying", detail);
        } else {
          onStatus("open");
          await read(res.body, onEvent);
          if (!closed) onStatus("retrying", "the stream ended");
        }
      } catch (err) {
        if (closed) return;
        onStatus("retrying", (err as Error).message);
      }
      await new Promise((r) => setTimeout(r, RETRY_MS));
    }
  }

  void run();
  return {
    close() {
      closed = true;
      abort.abort();
    },
  };
}

async function read(body: ReadableStream<Uint8Array>, onEvent: (e: BusEvent) => void): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buf = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buf += decoder.decode(value, { stream: true }).replace(/\r\n?/g, "\n");
    let end = buf.indexOf("\n\n");
    while (end >= 0) {
      const block = buf.slice(0, end);
      buf = buf.slice(end + 2);
      let name = "message";
      const data: string[] = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event:")) name = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
      }
      if (name === "overflow") return;
      if (data.length > 0) {
        try {
          onEvent(JSON.parse(data.join("\n")) as BusEvent);
        } catch {
          // not an event body
        }
      }
      end = buf.indexOf("\n\n");
    }
  }
}
