/**
 * The v2 uAPI structs and ioctl numbers against linux/gpio.h: the constants below were printed by a C
 * program compiled against the header (x86-64; arm64 shares the layout, the uAPI pads explicitly).
 * Where a C compiler and the header exist, the test compiles that program again and compares.
 */
import { describe, expect, it } from "bun:test";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  _IOR,
  _IOWR,
  decodeChipInfo,
  decodeLineEvent,
  decodeLineInfo,
  decodeLineRequest,
  decodeLineValues,
  encodeLineConfig,
  encodeLineEvent,
  encodeLineInfoQuery,
  encodeLineRequest,
  encodeLineValues,
  GPIO_GET_CHIPINFO_IOCTL,
  GPIO_V2_GET_LINE_IOCTL,
  GPIO_V2_GET_LINEINFO_IOCTL,
  GPIO_V2_LINE_GET_VALUES_IOCTL,
  GPIO_V2_LINE_SET_CONFIG_IOCTL,
  GPIO_V2_LINE_SET_VALUES_IOCTL,
  LINE_ATTR_ID,
  LINE_FLAG,
  requestFd,
  SIZEOF,
} from "../../../../src/hal/gpio/gpiochip-abi.ts";

const HEADER = "/usr/include/linux/gpio.h";
const dv = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

/** Offsets printed with offsetof() against linux/gpio.h. */
const OFFSETS = {
  "gpiochip_info.label": 32,
  "gpiochip_info.lines": 64,
  "gpio_v2_line_request.consumer": 256,
  "gpio_v2_line_request.config": 288,
  "gpio_v2_line_request.num_lines": 560,
  "gpio_v2_line_request.event_buffer_size": 564,
  "gpio_v2_line_request.fd": 588,
  "gpio_v2_line_config.num_attrs": 8,
  "gpio_v2_line_config.attrs": 32,
  "gpio_v2_line_config_attribute.mask": 16,
  "gpio_v2_line_attribute.flags": 8,
  "gpio_v2_line_info.consumer": 32,
  "gpio_v2_line_info.offset": 64,
  "gpio_v2_line_info.num_attrs": 68,
  "gpio_v2_line_info.flags": 72,
  "gpio_v2_line_info.attrs": 80,
  "gpio_v2_line_event.id": 8,
  "gpio_v2_line_event.offset": 12,
  "gpio_v2_line_event.seqno": 16,
  "gpio_v2_line_event.line_seqno": 20,
} as const;

const IOCTLS = {
  GPIO_GET_CHIPINFO_IOCTL: 0x8044b401,
  GPIO_V2_GET_LINEINFO_IOCTL: 0xc100b405,
  GPIO_V2_GET_LINE_IOCTL: 0xc250b407,
  GPIO_V2_LINE_SET_CONFIG_IOCTL: 0xc110b40d,
  GPIO_V2_LINE_GET_VALUES_IOCTL: 0xc010b40e,
  GPIO_V2_LINE_SET_VALUES_IOCTL: 0xc010b40f,
};

describe("ioctl numbers", () => {
  it("computes _IOR/_IOWR as linux/ioctl.h does", () => {
    expect(_IOR(0xb4, 0x01, 68)).toBe(0x8044b401);
    expect(_IOWR(0xb4, 0x07, 592)).toBe(0xc250b407);
  });

  it("matches the header's values for every ioctl the driver uses", () => {
    expect({
      GPIO_GET_CHIPINFO_IOCTL,
      GPIO_V2_GET_LINEINFO_IOCTL,
      GPIO_V2_GET_LINE_IOCTL,
      GPIO_V2_LINE_SET_CONFIG_IOCTL,
      GPIO_V2_LINE_GET_VALUES_IOCTL,
      GPIO_V2_LINE_SET_VALUES_IOCTL,
    }).toEqual(IOCTLS);
  });
});

describe("struct sizes", () => {
  it("matches sizeof() of each struct in linux/gpio.h", () => {
    expect(SIZEOF).toEqual({
      gpiochip_info: 68,
      gpio_v2_line_attribute: 16,
      gpio_v2_line_config_attribute: 24,
      gpio_v2_line_config: 272,
      gpio_v2_line_request: 592,
      gpio_v2_line_info: 256,
      gpio_v2_line_event: 48,
      gpio_v2_line_values: 16,
    });
  });

  const cc = Bun.which("cc");
  it.skipIf(cc === null || !existsSync(HEADER))(
    "agrees with a C program compiled against the header",
    async () => {
      const dir = mkdtempSync(join(tmpdir(), "hearth-gpioh-"));
      try {
        const structs = Object.keys(SIZEOF);
        const src = [
          "#include <stdio.h>",
          "#include <stddef.h>",
          "#include <linux/gpio.h>",
          "int main(void){",
          ...structs.map((s) => `printf("size ${s} %zu\\n", sizeof(struct ${s}));`),
          ...Object.keys(OFFSETS).map((k) => {
            const [s, f] = k.split(".");
            return `printf("off ${k} %zu\\n", offsetof(struct ${s}, ${f}));`;
          }),
          ...Object.keys(IOCTLS).map((k) => `printf("ioctl ${k} %lu\\n", (unsigned long)(${k}));`),
          "return 0;}",
        ].join("\n");
        writeFileSync(join(dir, "p.c"), src);
        const build = Bun.spawnSync([cc as string, "-o", join(dir, "p"), join(dir, "p.c")]);
        expect(build.exitCode).toBe(0);
        const out = Bun.spawnSync([join(dir, "p")]).stdout.toString();
        const seen: Record<string, number> = {};
        for (const line of out.trim().split("\n")) {
          const [kind, key, value] = line.split(" ");
          seen[`${kind} ${key}`] = Number(value);
        }
        const want: Record<string, number> = {};
        for (const [k, v] of Object.entries(SIZEOF)) want[`size ${k}`] = v;
        for (const [k, v] of Object.entries(OFFSETS)) want[`off ${k}`] = v;
        for (const [k, v] of Object.entries(IOCTLS)) want[`ioctl ${k}`] = v;
        expect(seen).toEqual(want);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});

describe("encoding", () => {
  it("lays a line request out at the header's offsets", () => {
    const buf = encodeLineRequest({
      offsets: [17, 27],
      consumer: "hearth-test",
      config: {
        flags: LINE_FLAG.INPUT | LINE_FLAG.EDGE_RISING | LINE_FLAG.BIAS_PULL_UP,
        attrs: [
          { attr: { id: LINE_ATTR_ID.DEBOUNCE, debouncePeriodUs: 20_000 }, mask: 0b01n },
          { attr: { id: LINE_ATTR_ID.OUTPUT_VALUES, values: 0b10n }, mask: 0b10n },
        ],
      },
      eventBufferSize: 32,
    });
    expect(buf.byteLength).toBe(592);
    const v = dv(buf);
    expect(v.getUint32(0, true)).toBe(17);
    expect(v.getUint32(4, true)).toBe(27);
    expect(new TextDecoder().decode(buf.subarray(256, 256 + 11))).toBe("hearth-test");
    expect(buf[256 + 11]).toBe(0);
    const config = 288;
    expect(v.getBigUint64(config, true)).toBe(BigInt((1 << 2) | (1 << 4) | (1 << 8)));
    expect(v.getUint32(config + 8, true)).toBe(2);
    const a0 = config + 32;
    expect(v.getUint32(a0, true)).toBe(3); // GPIO_V2_LINE_ATTR_ID_DEBOUNCE
    expect(v.getUint32(a0 + 8, true)).toBe(20_000);
    expect(v.getBigUint64(a0 + 16, true)).toBe(1n);
    const a1 = a0 + 24;
    expect(v.getUint32(a1, true)).toBe(2); // GPIO_V2_LINE_ATTR_ID_OUTPUT_VALUES
    expect(v.getBigUint64(a1 + 8, true)).toBe(2n);
    expect(v.getBigUint64(a1 + 16, true)).toBe(2n);
    expect(v.getUint32(560, true)).toBe(2);
    expect(v.getUint32(564, true)).toBe(32);
    expect(requestFd(buf)).toBe(-1);
  });

  it("decodes what it encodes, and reads the fd the kernel writes back", () => {
    const req = {
      offsets: [4],
      consumer: "x",
      config: { flags: LINE_FLAG.OUTPUT, attrs: [{ attr: { id: 2, values: 1n } as const, mask: 1n }] },
      eventBufferSize: 0,
    };
    const buf = encodeLineRequest(req);
    dv(buf).setInt32(588, 9, true);
    expect(decodeLineRequest(buf)).toEqual({ ...req, fd: 9 });
    expect(requestFd(buf)).toBe(9);
  });

  it("truncates a long consumer so the NUL terminator stays", () => {
    const buf = encodeLineRequest({
      offsets: [0],
      consumer: "c".repeat(40),
      config: { flags: 0, attrs: [] },
      eventBufferSize: 0,
    });
    expect(decodeLineRequest(buf).consumer).toBe("c".repeat(31));
  });

  it("refuses more than 10 attributes and 0 or more than 64 lines", () => {
    const attr = { attr: { id: 1, flags: 0n } as const, mask: 1n };
    expect(() => encodeLineConfig(new Uint8Array(272), { flags: 0, attrs: Array(11).fill(attr) })).toThrow();
    const config = { flags: 0, attrs: [] };
    expect(() => encodeLineRequest({ offsets: [], consumer: "", config, eventBufferSize: 0 })).toThrow();
    expect(() =>
      encodeLineRequest({ offsets: Array(65).fill(0), consumer: "", config, eventBufferSize: 0 }),
    ).toThrow();
  });

  it("puts the offset of a line-info query at byte 64", () => {
    const buf = encodeLineInfoQuery(21);
    expect(buf.byteLength).toBe(256);
    expect(dv(buf).getUint32(64, true)).toBe(21);
  });

  it("encodes line values as bits then mask", () => {
    const buf = encodeLineValues(1n, 3n);
    expect(dv(buf).getBigUint64(0, true)).toBe(1n);
    expect(dv(buf).getBigUint64(8, true)).toBe(3n);
    expect(decodeLineValues(buf)).toEqual({ bits: 1n, mask: 3n });
  });
});

describe("decoding", () => {
  it("reads gpiochip_info", () => {
    const buf = new Uint8Array(68);
    buf.set(new TextEncoder().encode("gpiochip0"), 0);
    buf.set(new TextEncoder().encode("pinctrl-bcm2711"), 32);
    dv(buf).setUint32(64, 58, true);
    expect(decodeChipInfo(buf)).toEqual({ name: "gpiochip0", label: "pinctrl-bcm2711", lines: 58 });
  });

  it("reads a full 32-byte name without a terminator", () => {
    const buf = new Uint8Array(68);
    buf.fill(0x61, 0, 32);
    expect(decodeChipInfo(buf).name).toBe("a".repeat(32));
  });

  it("reads gpio_v2_line_info with its attributes", () => {
    const buf = new Uint8Array(256);
    const v = dv(buf);
    buf.set(new TextEncoder().encode("GPIO17"), 0);
    buf.set(new TextEncoder().encode("hearth"), 32);
    v.setUint32(64, 17, true);
    v.setUint32(68, 2, true);
    v.setBigUint64(72, BigInt(LINE_FLAG.USED | LINE_FLAG.INPUT | LINE_FLAG.ACTIVE_LOW), true);
    v.setUint32(80, 3, true); // debounce
    v.setUint32(88, 5000, true);
    v.setUint32(96, 1, true); // flags attribute
    v.setBigUint64(104, 1n << 8n, true);
    expect(decodeLineInfo(buf)).toEqual({
      name: "GPIO17",
      consumer: "hearth",
      offset: 17,
      flags: LINE_FLAG.USED | LINE_FLAG.INPUT | LINE_FLAG.ACTIVE_LOW,
      attrs: [
        { id: 3, debouncePeriodUs: 5000 },
        { id: 1, flags: 256n },
      ],
    });
  });

  it("reads gpio_v2_line_event, also from the middle of a read buffer", () => {
    const buf = new Uint8Array(96);
    const v = dv(buf);
    v.setBigUint64(48, 123_456_789_012n, true);
    v.setUint32(56, 2, true);
    v.setUint32(60, 17, true);
    v.setUint32(64, 7, true);
    v.setUint32(68, 3, true);
    const event = { timestampNs: 123_456_789_012n, id: 2, offset: 17, seqno: 7, lineSeqno: 3 };
    expect(decodeLineEvent(buf, 48)).toEqual(event);
    expect(encodeLineEvent(event)).toEqual(buf.subarray(48));
  });
});
