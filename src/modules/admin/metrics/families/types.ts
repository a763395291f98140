import type { RuntimeMetrics } from "../../../../runtime-types.ts";
import type { Exposition } from "../exposition.ts";

/**
 * One component's families: declaration and feed together. Called once per scrape with the
 * runtime's snapshot (undefined before init, when only the process and build figures answer).
 */
export type Families = (out: Exposition, snapshot: RuntimeMetrics | undefined) => void;
