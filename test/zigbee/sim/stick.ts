/**
 * A Z-Stack 3.x.0 coordinator stick, simulated: it speaks ZNP frames on a byte stream (a pty end
 * or a TCP socket) well enough for zigbee-herdsman's z-stack adapter to commission or resume a
 * network against it, and it hosts simulated devices that join, answer interviews and ZCL
 * commands, and send attribute reports. The model is zigpy-znp's test fake: a table of request
 * handlers over an emulated NV store and a device list, and an RPC error for anything unhandled.
 */
import { randomBytes } from "node:crypto";
import {
  applyCommand,
  createSimDevice,
  type SimDevice,
  type SimDeviceKind,
  type SimEndpoint,
} from "./devices.ts";
import {
  encodeFrame,
  FrameParser,
  Reader,
  Subsystem as S,
  FrameType as T,
  Writer,
  type ZnpFrame,
} from "./frame.ts";
import { Global, readHeader, readValue, Status, writeHeader, writeValue, type ZclValue } from "./zcl.ts";

/** NV item ids (Z-Stack `ZCD_NV_*`). */
const NV = {
  STARTUP_OPTION: 0x0003,
  NIB: 0x0021,
  EXTENDED_PAN_ID: 0x002d,
  NWK_ACTIVE_KEY_INFO: 0x003a,
  NWK_ALTERN_KEY_INFO: 0x003b,
  PRECFGKEY: 0x0062,
  NWKKEY: 0x0082,
  PANID: 0x0083,
  CHANLIST: 0x0084,
} as const;

const DEV_STATE = { HOLD: 0, COORD_STARTING: 8, ZB_COORD: 9 } as const;

/** A ZCL frame the stick delivered to a simulated device (what tests assert on). */
export interface DeliveredZcl {
  ieee: string;
  kind: SimDeviceKind;
  endpoint: number;
  cluster: number;
  /** 0 = global, 1 = cluster-specific. */
  frameType: number;
  command: number;
  payload: Uint8Array;
  /** The whole ZCL frame, hex. */
  hex: string;
}

export interface StickStats {
  framesIn: number;
  framesOut: number;
  badFrames: number;
  skippedBytes: number;
  unknownCommands: number;
}

export interface ZnpStickOptions {
  /** Coordinator IEEE address (`0x` + 16 hex digits). */
  ieee?: string;
  /** Delay before a simulated device answers, in ms (default 2). */
  deviceLatencyMs?: number;
  /** Called with each unknown command, for a log line. */
  onUnknown?: (frame: ZnpFrame) => void;
}

interface PersistedState {
  ieee: string;
  nv: Record<string, string>;
  devices: Array<{ kind: SimDeviceKind; ieee: string; nwk: number }>;
  registered: number[];
}

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

export class ZnpStick {
  readonly ieee: string;
  readonly parser = new FrameParser();
  readonly devices = new Map<string, SimDevice>();
  /** ZCL frames delivered to devices, newest last (tests read and clear it). */
  readonly delivered: DeliveredZcl[] = [];
  readonly stats: StickStats = {
    framesIn: 0,
    framesOut: 0,
    badFrames: 0,
    skippedBytes: 0,
    unknownCommands: 0,
  };
  /** osal NV items (id → bytes) and extended items (`sysid:itemid:subid` → bytes). */
  readonly nv = new Map<number, Uint8Array>();
  readonly nvExt = new Map<string, Uint8Array>();
  #state: number = DEV_STATE.HOLD;
  #endpoints = new Map<
    number,
    { profile: number; deviceId: number; inClusters: number[]; outClusters: number[] }
  >();
  #permitUntil = 0;
  #permitTimer: ReturnType<typeof setTimeout> | undefined;
  #out: ((bytes: Uint8Array) => void) | undefined;
  #latency: number;
  #onUnknown: ((frame: ZnpFrame) => void) | undefined;
  #deliveredListeners = new Set<(z: DeliveredZcl) => void>();
  #tsn = 0;

  constructor(options: ZnpStickOptions = {}) {
    this.ieee = options.ieee ?? "0x00124b0018ed1234";
    this.#latency = options.deviceLatencyMs ?? 2;
    this.#onUnknown = options.onUnknown;
    this.#factoryNv();
  }

  // ---- transport ----------------------------------------------------------------------------

  /** Where the stick's frames go (the pty or socket); `undefined` while unplugged. */
  attach(write: ((bytes: Uint8Array) => void) | undefined): void {
    this.#out = write;
  }

  /** Bytes from the host. Never throws, whatever the bytes. */
  receive(chunk: Uint8Array): void {
    const frames = this.parser.push(chunk);
    this.stats.badFrames = this.parser.stats.badFrames;
    this.stats.skippedBytes = this.parser.stats.skippedBytes;
    for (const f of frames) {
      this.stats.framesIn++;
      try {
        this.#handle(f);
      } catch (err) {
        // A truncated request: the firmware answers with an RPC error (4 = bad length).
        if (f.type === T.SREQ) this.#rpcError(f, err instanceof RangeError ? 4 : 3);
      }
    }
  }

  #send(type: number, subsystem: number, command: number, data: Uint8Array = new Uint8Array(0)): void {
    this.stats.framesOut++;
    this.#out?.(encodeFrame({ type, subsystem, command, data }));
  }

  #srsp(f: ZnpFrame, data: Uint8Array): void {
    this.#send(T.SRSP, f.subsystem, f.command, data);
  }

  #areq(subsystem: number, command: number, data: Uint8Array): void {
    this.#send(T.AREQ, subsystem, command, data);
  }

  #rpcError(f: ZnpFrame, code: number): void {
    this.#send(T.SRSP, S.RPC_ERROR, 0, Uint8Array.of(code, (f.type << 5) | f.subsystem, f.command));
  }

  #later(fn: () => void, ms = this.#latency): void {
    setTimeout(fn, ms);
  }

  // ---- NV -----------------------------------------------------------------------------------

  #factoryNv(): void {
    this.nv.clear();
    this.nvExt.clear();
    // 21 bytes: an unaligned target (keySeqNum + key + frame counter), which herdsman checks first.
    this.nv.set(NV.NWKKEY, new Uint8Array(21));
    this.nv.set(NV.STARTUP_OPTION, Uint8Array.of(0));
    this.#state = DEV_STATE.HOLD;
  }

  #u16item(id: number): number {
    const b = this.nv.get(id);
    return b && b.length >= 2 ? (b[0] as number) | ((b[1] as number) << 8) : 0xffff;
  }

  /** Forms the network from the commissioning NV items, as BDB commissioning would. */
  #formNetwork(): void {
    const panId = this.#u16item(NV.PANID);
    const chan = this.nv.get(NV.CHANLIST) ?? Uint8Array.of(0, 0x08, 0, 0);
    const mask = new DataView(chan.buffer, chan.byteOffset, 4).getUint32(0, true);
    let channel = 11;
    for (let c = 11; c <= 26; c++) {
      if (mask & (1 << c)) {
        channel = c;
        break;
      }
    }
    const epid = this.nv.get(NV.EXTENDED_PAN_ID) ?? new Uint8Array(8);
    const key = this.nv.get(NV.PRECFGKEY) ?? randomBytes(16);
    const nib = new Uint8Array(110);
    const v = new DataView(nib.buffer);
    nib[3] = 20; // MaxChildren
    nib[4] = 15; // MaxDepth
    nib[5] = 20; // MaxRouters
    nib[12] = 5; // SecurityLevel
    nib[17] = 2; // nwkProtocolVersion
    v.setUint16(20, 0x0000, true); // nwkDevAddress
    nib[22] = channel; // nwkLogicalChannel
    v.setUint16(33, panId, true);
    nib[35] = 9; // nwkState
    v.setUint32(36, mask, true);
    nib.set(new Uint8Array(Buffer.from(this.ieee.slice(2), "hex").reverse()), 25); // nwkCoordExtAddress
    nib.set(epid.slice(0, 8), 53);
    nib[61] = 1; // nwkKeyLoaded
    nib[98] = 15; // nwkLinkStatusPeriod
    nib[99] = 3; // nwkRouterAgeLimit
    this.nv.set(NV.NIB, nib);
    const keyInfo = new Uint8Array(17);
    keyInfo.set(key.slice(0, 16), 1);
    this.nv.set(NV.NWK_ACTIVE_KEY_INFO, keyInfo);
    this.nv.set(NV.NWK_ALTERN_KEY_INFO, keyInfo.slice());
  }

  #startCoordinator(): void {
    this.#later(() => {
      this.#state = DEV_STATE.COORD_STARTING;
      this.#areq(S.ZDO, 0xc0, Uint8Array.of(DEV_STATE.COORD_STARTING));
      this.#later(() => {
        this.#state = DEV_STATE.ZB_COORD;
        this.#areq(S.ZDO, 0xc0, Uint8Array.of(DEV_STATE.ZB_COORD));
      }, 20);
    }, 10);
  }

  // ---- request handlers ---------------------------------------------------------------------

  // Each case returns the (void) reply it sent.
  #handle(f: ZnpFrame): unknown {
    const r = new Reader(f.data);
    const w = new Writer();
    if (f.type === T.AREQ && f.subsystem === S.SYS && f.command === 0x00) return this.#reset(r.u8());
    if (f.type !== T.SREQ) return;
    const key = (f.subsystem << 8) | f.command;
    switch (key) {
      // SYS
      case 0x0101: // ping
        return this.#srsp(f, w.u16(0x0179).done());
      case 0x0102: // version: transport 2, product 1 (Z-Stack 3.x.0), 2.7.1, revision
        return this.#srsp(f, w.u8(2).u8(1).u8(2).u8(7).u8(1).u32(20240710).done());
      case 0x0104: // getExtAddr
        return this.#srsp(f, w.ieee(this.ieee).done());
      case 0x0113: // osalNvLength
        return this.#srsp(f, w.u16(this.nv.get(r.u16())?.length ?? 0).done());
      case 0x0108: // osalNvRead (u8 offset)
      case 0x011c: {
        // osalNvReadExt (u16 offset)
        const id = r.u16();
        const offset = f.command === 0x08 ? r.u8() : r.u16();
        const item = this.nv.get(id);
        if (item === undefined || offset > item.length) return this.#srsp(f, w.u8(0x0a).u8(0).done());
        const chunk = item.slice(offset, offset + 244);
        return this.#srsp(f, w.u8(0).u8(chunk.length).bytes(chunk).done());
      }
      case 0x0107: {
        // osalNvItemInit: 0x09 = created, 0x00 = already there
        const id = r.u16();
        const len = r.u16();
        const initLen = r.u8();
        const init = r.bytes(initLen);
        if (this.nv.has(id)) return this.#srsp(f, w.u8(0).done());
        const item = new Uint8Array(len);
        item.set(init.slice(0, len));
        this.nv.set(id, item);
        return this.#srsp(f, w.u8(0x09).done());
      }
      case 0x0109: // osalNvWrite
      case 0x011d: {
        // osalNvWriteExt
        const id = r.u16();
        const offset = f.command === 0x09 ? r.u8() : r.u16();
        const len = f.command === 0x09 ? r.u8() : r.u16();
        const value = r.bytes(len);
        const item = this.nv.get(id);
        if (item === undefined) return this.#srsp(f, w.u8(0x0a).done());
        const next = new Uint8Array(Math.max(item.length, offset + len));
        next.set(item);
        next.set(value, offset);
        this.nv.set(id, next);
        return this.#srsp(f, w.u8(0).done());
      }
      case 0x0112: // osalNvDelete
        this.nv.delete(r.u16());
        return this.#srsp(f, w.u8(0).done());
      case 0x0130: {
        // nvCreate
        const k = `${r.u8()}:${r.u16()}:${r.u16()}`;
        if (!this.nvExt.has(k)) this.nvExt.set(k, new Uint8Array(r.u32()));
        return this.#srsp(f, w.u8(0).done());
      }
      case 0x0131: // nvDelete
        this.nvExt.delete(`${r.u8()}:${r.u16()}:${r.u16()}`);
        return this.#srsp(f, w.u8(0).done());
      case 0x0132: // nvLength (u8)
        return this.#srsp(f, w.u8(this.nvExt.get(`${r.u8()}:${r.u16()}:${r.u16()}`)?.length ?? 0).done());
      case 0x0133: {
        // nvRead
        const item = this.nvExt.get(`${r.u8()}:${r.u16()}:${r.u16()}`);
        const offset = r.u16();
        const len = r.u8();
        if (item === undefined) return this.#srsp(f, w.u8(0x0a).u8(0).done());
        const chunk = item.slice(offset, offset + len);
        return this.#srsp(f, w.u8(0).u8(chunk.length).bytes(chunk).done());
      }
      case 0x0134: {
        // nvWrite
        const k = `${r.u8()}:${r.u16()}:${r.u16()}`;
        const offset = r.u16();
        const value = r.bytes(r.u8());
        const item = this.nvExt.get(k) ?? new Uint8Array(0);
        const next = new Uint8Array(Math.max(item.length, offset + value.length));
        next.set(item);
        next.set(value, offset);
        this.nvExt.set(k, next);
        return this.#srsp(f, w.u8(0).done());
      }
      case 0x010f: // stackTune
        return this.#srsp(f, w.u8(0).done());

      // UTIL
      case 0x0700: // getDeviceInfo
        return this.#srsp(f, w.u8(0).ieee(this.ieee).u16(0).u8(7).u8(this.#state).u8(0).done());
      case 0x070a: // ledControl
        return this.#srsp(f, w.u8(0).done());
      case 0x074a: {
        // assocGetWithAddress
        r.bytes(8);
        const nwk = r.u16();
        const dev = this.#byNwk(nwk);
        return this.#srsp(
          f,
          w
            .u16(dev ? nwk : 0xfffe)
            .u16(0)
            .u8(dev ? (dev.router ? 2 : 1) : 0xff)
            .done(),
        );
      }

      // APP_CNF
      case 0x0f08: // bdbSetChannel
        return this.#srsp(f, w.u8(0).done());
      case 0x0f05: // bdbStartCommissioning
        this.#srsp(f, w.u8(0).done());
        if (r.u8() & 0x04) {
          this.#formNetwork();
          this.#startCoordinator();
        }
        return;

      // ZDO
      case 0x0540: {
        // startupFromApp: 0 = restored the stored network, 1 = new network
        const restored = this.nv.has(NV.NIB);
        this.#srsp(f, w.u8(restored ? 0 : 1).done());
        if (!restored) this.#formNetwork();
        this.#startCoordinator();
        return;
      }
      case 0x0550: {
        // extNwkInfo
        const nib = this.nv.get(NV.NIB);
        const epid = nib ? `0x${hex(nib.slice(53, 61).reverse())}` : "0x0000000000000000";
        return this.#srsp(
          f,
          w
            .u16(0)
            .u8(this.#state)
            .u16(this.#u16item(NV.PANID))
            .u16(0)
            .ieee(epid)
            .ieee("0x0000000000000000")
            .u8(nib?.[22] ?? 0)
            .done(),
        );
      }
      case 0x054a: {
        // extFindGroup: failure (1) when absent
        const ep = r.u8();
        const group = r.u16();
        const found = this.nvExt.has(`group:${ep}:${group}`);
        return this.#srsp(
          f,
          w
            .u8(found ? 0 : 1)
            .u16(group)
            .u8(0)
            .done(),
        );
      }
      case 0x054b: // extAddGroup
        this.nvExt.set(`group:${r.u8()}:${r.u16()}`, new Uint8Array(0));
        return this.#srsp(f, w.u8(0).done());
      case 0x0545: // extRouteDisc
        return this.#srsp(f, w.u8(0).done());
      case 0x0502:
        return this.#zdoNodeDesc(f, r);
      case 0x0505:
        return this.#zdoActiveEp(f, r);
      case 0x0504:
        return this.#zdoSimpleDesc(f, r);
      case 0x0536:
        return this.#zdoPermitJoin(f, r);
      case 0x0521: // bindReq
      case 0x0522: {
        // unbindReq
        const dst = r.u16();
        r.bytes(19);
        this.#srsp(f, w.u8(0).done());
        return this.#later(() => this.#areq(S.ZDO, f.command | 0x80, new Writer().u16(dst).u8(0).done()));
      }
      case 0x0534:
        return this.#zdoLeave(f, r);

      // AF
      case 0x0400: {
        // register
        const ep = r.u8();
        const profile = r.u16();
        const deviceId = r.u16();
        r.u8();
        r.u8();
        const inClusters = Array.from({ length: r.u8() }, () => r.u16());
        const outClusters = Array.from({ length: r.u8() }, () => r.u16());
        const known = this.#endpoints.has(ep);
        this.#endpoints.set(ep, { profile, deviceId, inClusters, outClusters });
        return this.#srsp(f, w.u8(known ? 0xb8 : 0).done());
      }
      case 0x0401:
        return this.#afDataRequest(f, r);
      case 0x0402: {
        // dataRequestExt (groups, broadcasts, inter-PAN): accepted and confirmed, not delivered
        const mode = r.u8();
        r.bytes(8);
        const dstEp = r.u8();
        r.u16();
        r.u8();
        r.u16();
        const transId = r.u8();
        this.#srsp(f, w.u8(0).done());
        if (mode !== 0xff)
          this.#later(() => this.#areq(S.AF, 0x80, new Writer().u8(0).u8(dstEp).u8(transId).done()));
        return;
      }
      default:
        this.stats.unknownCommands++;
        this.#onUnknown?.(f);
        return this.#rpcError(
          f,
          f.subsystem === S.SYS ||
            f.subsystem === S.AF ||
            f.subsystem === S.ZDO ||
            f.subsystem === S.UTIL ||
            f.subsystem === S.APP_CNF
            ? 2
            : 1,
        );
    }
  }

  #reset(type: number): void {
    const option = this.nv.get(NV.STARTUP_OPTION)?.[0] ?? 0;
    if (option & 0x03) {
      // Clear network state and configuration (herdsman's "clear adapter").
      const keep = new Map([...this.nv].filter(([id]) => id === NV.STARTUP_OPTION || id === 0x0060));
      this.#factoryNv();
      for (const [id, v] of keep) this.nv.set(id, v);
      this.#endpoints.clear();
      this.devices.clear();
    }
    this.#state = DEV_STATE.HOLD;
    this.#endpoints.clear();
    this.#later(() => this.#areq(S.SYS, 0x80, Uint8Array.of(type === 0 ? 0 : 2, 2, 1, 2, 7, 1)), 20);
  }

  // ---- ZDO ------------------------------------------------------------------------------------

  #byNwk(nwk: number): SimDevice | undefined {
    for (const d of this.devices.values()) if (d.nwk === nwk) return d;
    return undefined;
  }

  #zdoNodeDesc(f: ZnpFrame, r: Reader): void {
    const dst = r.u16();
    const nwk = r.u16();
    this.#srsp(f, Uint8Array.of(0));
    const dev = nwk === 0 ? undefined : this.#byNwk(nwk);
    if (nwk !== 0 && dev === undefined) return;
    const logical = nwk === 0 ? 0 : dev?.router ? 1 : 2;
    const mac = nwk === 0 ? 0x8f : dev?.router ? 0x8e : 0x80;
    const w = new Writer().u16(dst).u8(0).u16(nwk);
    // logical type, aps flags + 2.4 GHz band, MAC capabilities, manufacturer, buffer, in transfer, server mask, out transfer, descriptor caps
    w.u8(logical)
      .u8(0x40)
      .u8(mac)
      .u16(0x1234)
      .u8(82)
      .u16(82)
      .u16(nwk === 0 ? 0x2c41 : 0)
      .u16(82)
      .u8(0);
    this.#later(() => this.#areq(S.ZDO, 0x82, w.done()));
  }

  #zdoActiveEp(f: ZnpFrame, r: Reader): void {
    const dst = r.u16();
    const nwk = r.u16();
    this.#srsp(f, Uint8Array.of(0));
    const eps = nwk === 0 ? [...this.#endpoints.keys()] : this.#byNwk(nwk)?.endpoints.map((e) => e.id);
    if (eps === undefined) return;
    const w = new Writer().u16(dst).u8(0).u16(nwk).u8(eps.length).bytes(eps);
    this.#later(() => this.#areq(S.ZDO, 0x85, w.done()));
  }

  #zdoSimpleDesc(f: ZnpFrame, r: Reader): void {
    const dst = r.u16();
    const nwk = r.u16();
    const epId = r.u8();
    this.#srsp(f, Uint8Array.of(0));
    let desc: { profile: number; deviceId: number; inClusters: number[]; outClusters: number[] } | undefined;
    if (nwk === 0) desc = this.#endpoints.get(epId);
    else {
      const ep = this.#byNwk(nwk)?.endpoints.find((e) => e.id === epId);
      if (ep)
        desc = {
          profile: ep.profileId,
          deviceId: ep.deviceId,
          inClusters: ep.inClusters,
          outClusters: ep.outClusters,
        };
    }
    const w = new Writer().u16(dst);
    if (desc === undefined) w.u8(0x83).u16(nwk).u8(0);
    else {
      const body = new Writer()
        .u8(epId)
        .u16(desc.profile)
        .u16(desc.deviceId)
        .u8(1)
        .u8(desc.inClusters.length);
      for (const c of desc.inClusters) body.u16(c);
      body.u8(desc.outClusters.length);
      for (const c of desc.outClusters) body.u16(c);
      const b = body.done();
      w.u8(0).u16(nwk).u8(b.length).bytes(b);
    }
    this.#later(() => this.#areq(S.ZDO, 0x84, w.done()));
  }

  #zdoPermitJoin(f: ZnpFrame, r: Reader): void {
    r.u8();
    r.u16();
    const seconds = r.u8();
    this.#srsp(f, Uint8Array.of(0));
    this.#setPermit(seconds);
    this.#later(() => {
      this.#areq(S.ZDO, 0xb6, new Writer().u16(0).u8(0).done());
      this.#areq(S.ZDO, 0xcb, Uint8Array.of(seconds));
    });
  }

  #setPermit(seconds: number): void {
    clearTimeout(this.#permitTimer);
    this.#permitUntil = seconds === 0 ? 0 : Date.now() + seconds * 1000;
    if (seconds > 0 && seconds < 255) {
      this.#permitTimer = setTimeout(() => {
        this.#permitUntil = 0;
        this.#areq(S.ZDO, 0xcb, Uint8Array.of(0));
      }, seconds * 1000);
      this.#permitTimer.unref?.();
    }
  }

  get permitJoin(): boolean {
    return this.#permitUntil > Date.now();
  }

  #zdoLeave(f: ZnpFrame, r: Reader): void {
    const dst = r.u16();
    const ieee = r.ieee();
    this.#srsp(f, Uint8Array.of(0));
    const dev = this.devices.get(ieee) ?? this.#byNwk(dst);
    this.#later(() => {
      this.#areq(
        S.ZDO,
        0xb4,
        new Writer()
          .u16(dst)
          .u8(dev ? 0 : 0x81)
          .done(),
      );
      if (dev) this.#announceLeave(dev);
    });
  }

  #announceLeave(dev: SimDevice): void {
    this.devices.delete(dev.ieee);
    this.#areq(S.ZDO, 0xc9, new Writer().u16(dev.nwk).ieee(dev.ieee).u8(0).u8(0).u8(0).done());
  }

  // ---- AF and ZCL ---------------------------------------------------------------------------

  #afDataRequest(f: ZnpFrame, r: Reader): void {
    const dst = r.u16();
    const dstEp = r.u8();
    const srcEp = r.u8();
    const cluster = r.u16();
    const transId = r.u8();
    r.u8();
    r.u8();
    const data = r.bytes(r.u8());
    const found = this.#byNwk(dst);
    const dev = found?.unreachable === true ? undefined : found;
    const ep = dev?.endpoints.find((e) => e.id === dstEp);
    this.#srsp(f, Uint8Array.of(0));
    // 0xe9: MAC no ack — what a real stick confirms for an absent or unreachable device.
    this.#later(() =>
      this.#areq(
        S.AF,
        0x80,
        new Writer()
          .u8(ep ? 0 : 0xe9)
          .u8(dstEp)
          .u8(transId)
          .done(),
      ),
    );
    if (dev && ep) this.#later(() => this.#deviceZcl(dev, ep, srcEp, cluster, data), this.#latency + 1);
  }

  // Returns the (void) reply it sent, if any.
  #deviceZcl(dev: SimDevice, ep: SimEndpoint, hostEp: number, cluster: number, data: Uint8Array): unknown {
    let h: ReturnType<typeof readHeader>;
    const r = new Reader(data);
    try {
      h = readHeader(r);
    } catch {
      return;
    }
    const payload = data.slice(r.offset);
    const delivered: DeliveredZcl = {
      ieee: dev.ieee,
      kind: dev.kind,
      endpoint: ep.id,
      cluster,
      frameType: h.frameType,
      command: h.command,
      payload,
      hex: hex(data),
    };
    this.delivered.push(delivered);
    for (const l of this.#deliveredListeners) l(delivered);
    const reply = (frameType: number, command: number, body: Writer) => {
      const w = writeHeader(new Writer(), frameType, h.tsn, command).bytes(body.done());
      this.#incoming(dev, ep.id, hostEp, cluster, w.done());
    };
    const attrsOf = ep.attributes.get(cluster);
    try {
      if (h.frameType === 0) {
        if (h.command === Global.READ) {
          const body = new Writer();
          while (r.remaining >= 2) {
            const id = r.u16();
            const a = attrsOf?.get(id);
            body.u16(id);
            if (a === undefined) body.u8(Status.UNSUPPORTED_ATTRIBUTE);
            else writeValue(body.u8(0).u8(a.type), a.type, a.value);
          }
          return reply(0, Global.READ_RSP, body);
        }
        if (h.command === Global.WRITE) {
          while (r.remaining >= 3) {
            const id = r.u16();
            const type = r.u8();
            const value = readValue(r, type);
            const a = attrsOf?.get(id);
            if (a) a.value = value;
          }
          return reply(0, Global.WRITE_RSP, new Writer().u8(0));
        }
        if (h.command === Global.CONFIGURE_REPORTING)
          return reply(0, Global.CONFIGURE_REPORTING_RSP, new Writer().u8(0));
        if (!h.disableDefaultResponse)
          reply(0, Global.DEFAULT_RSP, new Writer().u8(h.command).u8(Status.UNSUP_COMMAND));
        return;
      }
      const effect = applyCommand(ep, cluster, h.command, payload);
      if (!h.disableDefaultResponse || effect === false) {
        reply(
          0,
          Global.DEFAULT_RSP,
          new Writer().u8(h.command).u8(effect === false ? Status.UNSUP_COMMAND : 0),
        );
      }
      if (effect && effect.changed.length > 0) {
        const byCluster = new Map<number, number[]>();
        for (const [c, a] of effect.changed) byCluster.set(c, [...(byCluster.get(c) ?? []), a]);
        for (const [c, ids] of byCluster) this.#report(dev, ep, c, ids);
      }
    } catch {
      // A malformed ZCL payload: a real device ignores it.
    }
  }

  #incoming(dev: SimDevice, srcEp: number, dstEp: number, cluster: number, zcl: Uint8Array): void {
    const w = new Writer()
      .u16(0)
      .u16(cluster)
      .u16(dev.nwk)
      .u8(srcEp)
      .u8(dstEp)
      .u8(0)
      .u8(dev.router ? 220 : 160)
      .u8(0)
      .u32(Date.now() & 0xffffffff)
      .u8(0)
      .u8(zcl.length)
      .bytes(zcl);
    this.#areq(S.AF, 0x81, w.done());
  }

  #report(dev: SimDevice, ep: SimEndpoint, cluster: number, ids: number[]): void {
    const w = writeHeader(new Writer(), 0, this.#nextTsn(), Global.REPORT);
    for (const id of ids) {
      const a = ep.attributes.get(cluster)?.get(id);
      if (a) writeValue(w.u16(id).u8(a.type), a.type, a.value);
    }
    this.#incoming(dev, ep.id, 1, cluster, w.done());
  }

  #nextTsn(): number {
    this.#tsn = (this.#tsn + 1) & 0xff;
    return this.#tsn;
  }

  // ---- control (tests, the CLI's stdin) ------------------------------------------------------

  /** Subscribes to ZCL frames delivered to devices. */
  onDelivered(listener: (z: DeliveredZcl) => void): () => void {
    this.#deliveredListeners.add(listener);
    return () => this.#deliveredListeners.delete(listener);
  }

  /** Opens joining from the stick's side (as if a permit join was sent), for `seconds`. */
  openJoin(seconds: number): void {
    this.#setPermit(seconds);
  }

  /**
   * A device of `kind` joins (trust-centre indication, then its announce). Refused unless joining
   * is permitted, or `force`.
   */
  join(kind: SimDeviceKind, options: { ieee?: string; force?: boolean } = {}): SimDevice {
    if (!this.permitJoin && options.force !== true) throw new Error("joining is not permitted");
    if (this.#state !== DEV_STATE.ZB_COORD) throw new Error("the network is not up");
    const n = this.devices.size + 1;
    const ieee =
      options.ieee ?? `0x00158d00${randomBytes(2).toString("hex")}${n.toString(16).padStart(4, "0")}`;
    let nwk = 0x1000 + ((randomBytes(2).readUInt16LE(0) % 0xe000) & 0xfff8);
    while (this.#byNwk(nwk)) nwk++;
    const dev = this.devices.get(ieee) ?? createSimDevice(kind, ieee, nwk);
    this.devices.set(ieee, dev);
    this.#areq(S.ZDO, 0xca, new Writer().u16(dev.nwk).ieee(dev.ieee).u16(0).done());
    this.#later(() => this.announce(dev), 5);
    return dev;
  }

  /** The device's announce (a rejoin, a power cycle). */
  announce(dev: SimDevice): void {
    const caps = dev.router ? 0x8e : 0x80;
    this.#areq(S.ZDO, 0xc1, new Writer().u16(dev.nwk).u16(dev.nwk).ieee(dev.ieee).u8(caps).done());
  }

  /** The device leaves the network on its own. */
  leave(ieee: string): void {
    const dev = this.#device(ieee);
    this.#announceLeave(dev);
  }

  /** A device stops answering (out of range, powered off) or comes back. */
  setReachable(ieeeOrKind: string, reachable: boolean): void {
    this.#device(ieeeOrKind).unreachable = !reachable;
  }

  #device(ieeeOrKind: string): SimDevice {
    const dev = this.devices.get(ieeeOrKind) ?? [...this.devices.values()].find((d) => d.kind === ieeeOrKind);
    if (!dev) throw new Error(`no simulated device ${ieeeOrKind}`);
    return dev;
  }

  /** Sets attributes (by id) on a device and sends an attribute report, as a sensor would. */
  report(ieeeOrKind: string, cluster: number, values: Record<number, ZclValue>, endpoint?: number): void {
    const dev = this.#device(ieeeOrKind);
    const ep = dev.endpoints.find((e) =>
      endpoint === undefined ? e.attributes.has(cluster) : e.id === endpoint,
    );
    if (!ep) throw new Error(`device ${dev.ieee} has no cluster 0x${cluster.toString(16)}`);
    const ids: number[] = [];
    for (const [id, value] of Object.entries(values)) {
      const a = ep.attributes.get(cluster)?.get(Number(id));
      if (!a)
        throw new Error(`device ${dev.ieee} has no attribute ${id} in cluster 0x${cluster.toString(16)}`);
      a.value = value;
      ids.push(Number(id));
    }
    this.#report(dev, ep, cluster, ids);
  }

  /** An IAS zone status change notification (bit 0: alarm 1 — open, motion, water). */
  zoneStatus(ieeeOrKind: string, status: number): void {
    const dev = this.#device(ieeeOrKind);
    const ep = dev.endpoints.find((e) => e.attributes.has(0x0500));
    if (!ep) throw new Error(`device ${dev.ieee} has no IAS zone`);
    const a = ep.attributes.get(0x0500)?.get(0x0002);
    if (a) a.value = status;
    const w = writeHeader(new Writer(), 1, this.#nextTsn(), 0x00).u16(status).u8(0).u8(23).u16(0);
    this.#incoming(dev, ep.id, 1, 0x0500, w.done());
  }

  /** The stick's state as JSON (NV, devices), so a restarted simulator keeps its network. */
  snapshot(): PersistedState {
    return {
      ieee: this.ieee,
      nv: Object.fromEntries([...this.nv].map(([k, v]) => [String(k), hex(v)])),
      devices: [...this.devices.values()].map((d) => ({ kind: d.kind, ieee: d.ieee, nwk: d.nwk })),
      registered: [],
    };
  }

  static fromSnapshot(state: PersistedState, options: Omit<ZnpStickOptions, "ieee"> = {}): ZnpStick {
    const stick = new ZnpStick({ ...options, ieee: state.ieee });
    stick.nv.clear();
    for (const [k, v] of Object.entries(state.nv))
      stick.nv.set(Number(k), new Uint8Array(Buffer.from(v, "hex")));
    for (const d of state.devices) stick.devices.set(d.ieee, createSimDevice(d.kind, d.ieee, d.nwk));
    return stick;
  }
}
