import { describe, expect, it } from "bun:test";
import { createMemoryStorage } from "../../../../src/kernel/storage/index.ts";
import { storageContract } from "./storage.contract.ts";

storageContract("memory", async (options) => createMemoryStorage(options));

describe("memory storage", () => {
  it("says what it is", async () => {
    const storage = createMemoryStorage();
    expect(storage.kind).toBe("memory");
    await storage.close();
  });
});
