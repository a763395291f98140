import { describe } from "bun:test";
import { deferredContract } from "./contract/deferred.ts";
import { documentsContract } from "./contract/documents.ts";
import type { StorageFactory } from "./contract/harness.ts";
import { queryContract } from "./contract/query.ts";
import { transactionContract } from "./contract/transactions.ts";

export type { FactoryOptions, StorageFactory } from "./contract/harness.ts";

/**
 * The Storage contract: every implementation runs it with a factory that returns a fresh, empty
 * storage. The suite closes what it creates.
 */
export function storageContract(name: string, factory: StorageFactory): void {
  describe(`${name} storage contract`, () => {
    documentsContract(factory);
    queryContract(factory);
    transactionContract(factory);
    deferredContract(factory);
  });
}
