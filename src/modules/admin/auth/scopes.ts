/** The scope vocabulary is the kernel's (kernel/http/scopes.ts); re-exported for the auth layer. */
export { hasScope, normalizeScopes, SCOPES } from "../../../kernel/http/index.ts";
