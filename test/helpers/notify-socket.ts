/**
 * A fake systemd notify socket: a real unix datagram socket (bound by python3, which the machine has)
 * that records every message sent to it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const SERVER = `
import socket, sys
path = sys.argv[1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
if path.startswith("@"):
    s.bind("\\0" + path[1:])
else:
    s.bind(path)
print("bound", flush=True)
while True:
    data = s.recv(4096)
    print(data.decode().replace("\\n", "|"), flush=True)
`;

export interface FakeNotifySocket {
  path: string;
  messages: string[];
  /** Resolves when a message satisfying `pred` has arrived (rejects after `ms`). */
  waitFor(pred: (msg: string) => boolean, ms?: number): Promise<string>;
  close(): void;
}

export async function fakeNotifySocket(options: { abstract?: boolean } = {}): Promise<FakeNotifySocket> {
  const dir = mkdtempSync(join(tmpdir(), "hearth-notify-"));
  const path = options.abstract ? `@hearth-test-${process.pid}-${Date.now()}` : join(dir, "notify.sock");
  const proc = Bun.spawn(["python3", "-c", SERVER, path], { stdout: "pipe", stderr: "inherit" });
  const messages: string[] = [];
  let bound: () => void = () => {};
  const ready = new Promise<void>((r) => {
    bound = r;
  });
  void (async () => {
    const decoder = new TextDecoder();
    let buf = "";
    for await (const chunk of proc.stdout) {
      buf += decoder.decode(chunk, { stream: true });
      let nl = buf.indexOf("\n");
      while (nl >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line === "bound") bound();
        else messages.push(line.replaceAll("|", "\n"));
        nl = buf.indexOf("\n");
      }
    }
  })();
  await ready;
  return {
    path,
    messages,
    async waitFor(pred, ms = 5000) {
      for (let waited = 0; waited < ms; waited += 10) {
        const hit = messages.find(pred);
        if (hit !== undefined) return hit;
        await Bun.sleep(10);
      }
      throw new Error(`no matching notify message within ${ms} ms; got ${JSON.stringify(messages)}`);
    },
    close() {
      proc.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
