/** Reads a text/event-stream body until `until` matches what arrived (or `timeoutMs` passes). */
export async function readUntil(
  reader: { read(): Promise<{ done: boolean; value?: Uint8Array }> },
  until: (text: string) => boolean,
  timeoutMs = 3000,
): Promise<string> {
  const decoder = new TextDecoder();
  let text = "";
  const deadline = Date.now() + timeoutMs;
  while (!until(text)) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`SSE: condition not met within ${timeoutMs} ms; got:\n${text}`);
    const chunk = await Promise.race([
      reader.read(),
      Bun.sleep(left).then(() => ({ done: true, value: undefined, timedOut: true }) as const),
    ]);
    if ("timedOut" in chunk) continue;
    if (chunk.done) throw new Error(`SSE: stream ended; got:\n${text}`);
    text += decoder.decode(chunk.value, { stream: true });
  }
  return text;
}

/** `{ event, data }` of each complete SSE message in `text` (comments left out). */
export function messages(text: string): { event?: string; id?: string; data: string }[] {
  return text
    .split("\n\n")
    .map((block) => block.split("\n").filter((l) => l !== "" && !l.startsWith(":")))
    .filter((lines) => lines.length > 0)
    .map((lines) => {
      const field = (name: string) =>
        lines.filter((l) => l.startsWith(`${name}: `)).map((l) => l.slice(name.length + 2));
      return { event: field("event")[0], id: field("id")[0], data: field("data").join("\n") };
    });
}

/** Polls `check` until it is true (or throws after `timeoutMs`). */
export async function eventually(check: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await Bun.sleep(10);
  }
}
