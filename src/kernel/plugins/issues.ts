import type { z } from "zod";

/** One zod issue as plugin errors carry it in `data.issues`: a dot path (empty at the top) and a message. */
export interface PluginIssue {
  path: string;
  message: string;
}

export function toIssues(error: z.ZodError): PluginIssue[] {
  return error.issues.map((i) => ({ path: i.path.map((p) => String(p)).join("."), message: i.message }));
}

/** `a.b: message (and 2 more)`, for the error's one-line message. */
export function summarize(issues: readonly PluginIssue[]): string {
  const first = issues[0];
  if (first === undefined) return "invalid";
  const where = first.path === "" ? "" : `${first.path}: `;
  return `${where}${first.message}${issues.length > 1 ? ` (and ${issues.length - 1} more)` : ""}`;
}
