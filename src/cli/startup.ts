import { StartupPhases } from "../kernel/util/index.ts";

/**
 * This process's start-up phases, from its start: `main.ts` marks the loaded bundle, `hearth run`
 * the rest and logs them (debug, "start-up phases") once the runtime has started.
 */
export const STARTUP = new StartupPhases();
