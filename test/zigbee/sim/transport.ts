/** Connects a simulated stick to a pty end (reopened after an unplug) or a TCP port (a network stick). */
import { openSerialPort, type SerialPort } from "../../../src/hal/serial/index.ts";
import type { ZnpStick } from "./stick.ts";

export interface SimTransport {
  /** Resolves once the stick is connected (the pty opened, or a client connected). */
  readonly connected: () => boolean;
  close(): Promise<void>;
}

/**
 * Serves the stick on a pty path. When the line goes away (socat killed: an unplug) it waits for the
 * path to come back and opens it again, as a stick plugged back in.
 */
export function attachPty(stick: ZnpStick, path: string, options: { retryMs?: number } = {}): SimTransport {
  let closed = false;
  let port: SerialPort | undefined;
  const loop = (async () => {
    while (!closed) {
      try {
        port = await openSerialPort({ path, baudRate: 115200, lock: false });
      } catch {
        await Bun.sleep(options.retryMs ?? 50);
        continue;
      }
      const p = port;
      stick.attach((bytes) => {
        p.write(bytes).catch(() => undefined);
      });
      for await (const chunk of p) stick.receive(chunk);
      stick.attach(undefined);
      port = undefined;
    }
  })();
  return {
    connected: () => port !== undefined,
    async close() {
      closed = true;
      await port?.close();
      await loop;
    },
  };
}

/** Serves the stick on `127.0.0.1:<port>` (0 = any free port); one host at a time. */
export function attachTcp(
  stick: ZnpStick,
  port: number,
  hostname = "127.0.0.1",
): SimTransport & { port: number } {
  let client: Bun.Socket | undefined;
  const server = Bun.listen({
    hostname,
    port,
    socket: {
      open(socket) {
        client?.end();
        client = socket;
        stick.attach((bytes) => {
          socket.write(bytes);
        });
      },
      data(_socket, data) {
        stick.receive(data);
      },
      close(socket) {
        if (client === socket) {
          client = undefined;
          stick.attach(undefined);
        }
      },
    },
  });
  return {
    port: server.port,
    connected: () => client !== undefined,
    async close() {
      client?.end();
      server.stop(true);
    },
  };
}
