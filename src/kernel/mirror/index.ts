export { createStateMirror } from "./mirrored-storage.ts";
export type { ConsistencyReport, MirroredStorage, MirrorOptions, StateMirror } from "./types.ts";
