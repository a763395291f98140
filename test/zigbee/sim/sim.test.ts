/** The stick simulator's wire layer: the frame parser and the stick survive any bytes. */
import { describe, expect, it } from "bun:test";
import { encodeFrame, FrameParser, ZnpStick } from "./index.ts";

const ping = Uint8Array.from([0xfe, 0x00, 0x21, 0x01, 0x20]);

describe("ZNP frame parser", () => {
  it("reads several frames from one chunk and a frame split over chunks", () => {
    const p = new FrameParser();
    const two = new Uint8Array([...ping, ...ping]);
    expect(p.push(two)).toHaveLength(2);
    expect(p.push(ping.slice(0, 2))).toHaveLength(0);
    const [f] = p.push(ping.slice(2));
    expect(f).toMatchObject({ type: 1, subsystem: 1, command: 1 });
  });

  it("drops a frame with a bad checksum and finds the next one", () => {
    const p = new FrameParser();
    const bad = Uint8Array.from([0xfe, 0x01, 0x21, 0x01, 0x00, 0x00]);
    const frames = p.push(new Uint8Array([0x00, 0x13, ...bad, ...ping]));
    expect(frames).toHaveLength(1);
    expect(p.stats.badFrames).toBe(1);
  });

  it("round-trips what it encodes", () => {
    const data = Uint8Array.from({ length: 250 }, (_, i) => i);
    const [f] = new FrameParser().push(encodeFrame({ type: 2, subsystem: 4, command: 0x81, data }));
    expect(f?.data).toEqual(data);
  });

  it("never throws on random bytes and still parses a frame after them", () => {
    const p = new FrameParser();
    for (let i = 0; i < 200; i++) p.push(crypto.getRandomValues(new Uint8Array(1 + (i % 97))));
    // Whatever is buffered, a frame (sent twice, as a host retries) comes through.
    const frames = p.push(new Uint8Array([...ping, ...new Uint8Array(260), ...ping]));
    expect(frames.some((f) => f.subsystem === 1 && f.command === 1)).toBe(true);
  });
});

describe("simulated stick", () => {
  function wired() {
    const stick = new ZnpStick({ deviceLatencyMs: 0 });
    const out = new FrameParser();
    const frames: ReturnType<FrameParser["push"]> = [];
    stick.attach((b) => frames.push(...out.push(b)));
    return { stick, frames };
  }

  it("answers SYS.PING with its capabilities", () => {
    const { stick, frames } = wired();
    stick.receive(ping);
    expect(frames[0]).toMatchObject({ type: 3, subsystem: 1, command: 1 });
    expect([...(frames[0]?.data ?? [])]).toEqual([0x79, 0x01]);
  });

  it("answers an unknown command with an RPC error", () => {
    const { stick, frames } = wired();
    stick.receive(encodeFrame({ type: 1, subsystem: 1, command: 0x77, data: new Uint8Array(0) }));
    expect(frames[0]).toMatchObject({ type: 3, subsystem: 0, command: 0 });
    expect([...(frames[0]?.data ?? [])]).toEqual([2, 0x21, 0x77]);
  });

  it("answers a truncated request with a bad-length error instead of crashing", () => {
    const { stick, frames } = wired();
    stick.receive(encodeFrame({ type: 1, subsystem: 1, command: 0x1c, data: Uint8Array.of(0x21) }));
    expect([...(frames[0]?.data ?? [])]).toEqual([4, 0x21, 0x1c]);
  });

  it("survives random bytes and answers the next ping", () => {
    const { stick, frames } = wired();
    for (let i = 0; i < 300; i++) stick.receive(crypto.getRandomValues(new Uint8Array(1 + (i % 61))));
    stick.receive(new Uint8Array(260));
    frames.length = 0;
    stick.receive(ping);
    expect(frames.some((f) => f.type === 3 && f.subsystem === 1 && f.command === 1)).toBe(true);
  });
});
