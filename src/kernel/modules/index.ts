export { defineModule } from "./define.ts";
export { createModuleManager } from "./manager.ts";
export type {
  AddModuleOptions,
  ComponentHealth,
  ComponentStatus,
  DefinedModule,
  ModuleContext,
  ModuleDefinition,
  ModuleInfo,
  ModuleManager,
  ModuleManagerOptions,
  ModuleState,
  ModulesHealth,
} from "./types.ts";
