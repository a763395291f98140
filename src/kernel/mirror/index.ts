export { type CreateMirrorOptions, createStorageWithStateMirror } from "./mirror.ts";
export type { ConsistencyReport, MirrorOptions, StorageWithStateMirror } from "./types.ts";
