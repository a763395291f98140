/**
 * The kernel: its one view (`Kernel`) and the factory that wires it. Each component's own folder
 * has its public surface in its index.ts.
 */
export { type CreateKernelOptions, createKernel, type KernelParts } from "./create-kernel.ts";
export type { Kernel, ModulesView, PluginsView, RuntimeView } from "./types.ts";
