import { describe, expect, it } from "bun:test";
import {
  checkTemplates,
  compileTemplate,
  renderDeep,
  renderTemplate,
  TEMPLATE_LIMITS,
} from "../../../../src/modules/automation/template.ts";

const scope = {
  trigger: {
    device: { id: "demo-climate", new: { temperature: 21.5, on_off: true }, changed: ["temperature"] },
  },
  level: 7,
  name: "hall",
  list: [1, 2, 3],
};
const r = (src: string, s: Record<string, unknown> = scope) => renderTemplate(src, s);

describe("the template language", () => {
  it("reads the trigger and variables by path, and keeps a whole-expression value's type", () => {
    expect(r("{{ trigger.device.new.temperature }}")).toBe(21.5);
    expect(r("{{ trigger.device.changed[0] }}")).toBe("temperature");
    expect(r("{{ list[1] + list.length }}")).toBe(5);
    expect(r("Temp in {{ name }}: {{ trigger.device.new.temperature }} C")).toBe("Temp in hall: 21.5 C");
    expect(r("no template")).toBe("no template");
  });

  it("does arithmetic with precedence, comparisons and and/or/not", () => {
    expect(r("{{ 1 + 2 * 3 - 4 / 2 }}")).toBe(5);
    expect(r("{{ (1 + 2) * 3 % 4 }}")).toBe(1);
    expect(r("{{ -level + 10 }}")).toBe(3);
    expect(r("{{ level > 5 and not (level >= 10) }}")).toBe(true);
    expect(r("{{ level < 5 or name == 'hall' }}")).toBe(true);
    expect(r("{{ !trigger.device.new.on_off || level != 7 }}")).toBe(false);
    expect(r('{{ "a" + 1 }}')).toBe("a1");
    expect(r("{{ round(21.456, 1) }} {{ max(1, level, 3) }} {{ default(missing, 'x') }}")).toBe("21.5 7 x");
  });

  it("gives null for a missing name or path and for nonsense arithmetic, never throws for them", () => {
    expect(r("{{ nothing.at.all }}")).toBeNull();
    expect(r("{{ level / 0 }}")).toBeNull();
    expect(r("{{ name * 2 }}")).toBeNull();
    expect(r("{{ null == missing }}")).toBe(true);
  });

  it("cannot reach prototypes, constructors or globals", () => {
    for (const src of [
      "{{ __proto__ }}",
      "{{ constructor }}",
      "{{ trigger.__proto__ }}",
      "{{ trigger.constructor }}",
      "{{ trigger['constructor'] }}",
      "{{ trigger['__pro' + 'to__'] }}",
      "{{ 'x'.constructor }}",
      "{{ list.constructor }}",
      "{{ trigger.device.toString }}",
      "{{ hasOwnProperty }}",
      "{{ globalThis }}",
      "{{ process }}",
      "{{ Bun }}",
      "{{ this }}",
    ]) {
      expect(r(src)).toBeNull();
    }
    // A function is only one of the listed pure functions; nothing can be called on a value.
    expect(() => compileTemplate("{{ eval('1') }}")).toThrow(
      expect.objectContaining({ code: "TEMPLATE_INVALID" }),
    );
    expect(() => compileTemplate("{{ Function('return 1')() }}")).toThrow(
      expect.objectContaining({ code: "TEMPLATE_INVALID" }),
    );
    expect(() => compileTemplate("{{ name.toUpperCase() }}")).toThrow(
      expect.objectContaining({ code: "TEMPLATE_INVALID" }),
    );
    expect(() => compileTemplate("{{ x = 1 }}")).toThrow(
      expect.objectContaining({ code: "TEMPLATE_INVALID" }),
    );
  });

  it("does not run getters or read class instances", () => {
    let ran = false;
    const tricky = {
      get secret() {
        ran = true;
        return "leak";
      },
      when: new Date(0),
      map: new Map([["a", 1]]),
    };
    expect(r("{{ t.secret }}", { t: tricky })).toBeNull();
    expect(r("{{ t.when.getTime }}", { t: tricky })).toBeNull();
    expect(r("{{ t.map.size }}", { t: tricky })).toBeNull();
    expect(ran).toBe(false);
  });

  it("refuses syntax errors when compiled, naming the template", () => {
    for (const src of [
      "{{ 1 + }}",
      "{{ (1 }}",
      "{{ 'open }}",
      "{{ a. }}",
      "{{ }}",
      "{{ 1 2 }}",
      "{{ a ~ b }}",
      "{{ open",
    ]) {
      expect(() => compileTemplate(src)).toThrow(expect.objectContaining({ code: "TEMPLATE_INVALID" }));
    }
    expect(checkTemplates({ a: ["ok", "{{ 1 + }}"] })).toEqual([
      { path: ["a", 1], message: expect.stringContaining("Template syntax") },
    ]);
  });

  it("bounds length, depth and evaluation steps", () => {
    const long = `{{ ${"1 + ".repeat(TEMPLATE_LIMITS.maxExpressionLength)}1 }}`;
    expect(() => compileTemplate(long)).toThrow(expect.objectContaining({ code: "TEMPLATE_LIMIT_EXCEEDED" }));
    const deep = `{{ ${"(".repeat(100)}1${")".repeat(100)} }}`;
    expect(() => compileTemplate(deep)).toThrow(expect.objectContaining({ code: "TEMPLATE_LIMIT_EXCEEDED" }));
    const notNot = `{{ ${"not ".repeat(100)}true }}`;
    expect(() => compileTemplate(notNot)).toThrow(
      expect.objectContaining({ code: "TEMPLATE_LIMIT_EXCEEDED" }),
    );
    // Many small expressions in one string: the step budget is per render of the string.
    const many = "{{ 1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1 }}".repeat(300);
    expect(() => renderTemplate(many, {})).toThrow(
      expect.objectContaining({ code: "TEMPLATE_LIMIT_EXCEEDED" }),
    );
    // Strings cannot grow without bound.
    const big = "x".repeat(6000);
    expect(() => renderTemplate("{{ s + s }}", { s: big })).toThrow(
      expect.objectContaining({ code: "TEMPLATE_LIMIT_EXCEEDED" }),
    );
    expect(() => compileTemplate("x".repeat(TEMPLATE_LIMITS.maxSourceLength + 1))).toThrow(
      expect.objectContaining({ code: "TEMPLATE_LIMIT_EXCEEDED" }),
    );
  });

  it("renders every template inside a value and drops prototype keys", () => {
    const value = JSON.parse('{"a": "{{ level * 2 }}", "b": ["{{ name }}", 3], "__proto__": {"x": 1}}');
    const out = renderDeep(value, scope) as Record<string, unknown>;
    expect(out).toEqual({ a: 14, b: ["hall", 3] });
    expect(Object.hasOwn(out, "__proto__")).toBe(false);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });
});
