import { describe, expect, it } from "bun:test";
import { z } from "zod";
import { HearthError } from "../../../../src/errors.ts";
import { zodToJsonSchema } from "../../../../src/kernel/integrations/index.ts";
import { createMemoryStorage } from "../../../../src/kernel/storage/index.ts";

describe("zodToJsonSchema", () => {
  it("turns an object schema into a JSON Schema object", () => {
    const json = zodToJsonSchema(z.object({ port: z.string().min(1), verbose: z.boolean() }));
    expect(json).toMatchObject({
      type: "object",
      properties: { port: { type: "string", minLength: 1 }, verbose: { type: "boolean" } },
      required: ["port", "verbose"],
    });
  });

  it("describes the input side by default, so fields with defaults are optional", () => {
    const json = zodToJsonSchema(z.object({ port: z.string(), baud: z.number().default(115200) }));
    expect(json.required).toEqual(["port"]);
    expect(json.properties).toMatchObject({ baud: { type: "number", default: 115200 } });
  });

  it("can describe the output side instead", () => {
    const json = zodToJsonSchema(z.object({ baud: z.number().default(115200) }), { io: "output" });
    expect(json.required).toEqual(["baud"]);
  });

  it("turns parts JSON Schema cannot express into an unconstrained schema instead of throwing", () => {
    const json = zodToJsonSchema(z.object({ since: z.date(), big: z.bigint(), name: z.string() }));
    expect(json.properties).toMatchObject({ since: {}, big: {}, name: { type: "string" } });
  });

  it("survives transforms and custom checks", () => {
    const schema = z.object({
      count: z.string().transform((s) => s.length),
      custom: z.custom<string>((v) => typeof v === "string"),
    });
    expect(() => zodToJsonSchema(schema)).not.toThrow();
  });

  it("returns plain JSON that storage accepts, defaults of any type included", async () => {
    const json = zodToJsonSchema(
      z.object({ at: z.date().default(new Date(0)), n: z.bigint().default(5n), tag: z.string().optional() }),
    );
    const storage = createMemoryStorage();
    await storage.set("integrations", "x", { schema: json as never });
    expect(await storage.get("integrations", "x")).toEqual({ schema: json as never });
    await storage.close();
  });

  it("refuses something that is not a zod schema", () => {
    const notZod = { type: "object" } as unknown as z.ZodType;
    expect(() => zodToJsonSchema(notZod)).toThrow(HearthError);
  });
});
