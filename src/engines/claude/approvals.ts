/**
 * "Approve for this session", remembered by takopi: the rules a person
 * approved, per claude session, for the runner's lifetime (a bridge run).
 * A later permission request of that session that a rule covers is allowed
 * without asking the chat again — in this run and in the session's later runs.
 */
import type { CanUseTool } from "./protocol.js";
import { ruleApproves, type SessionRule } from "./permissions.js";

/** Sessions remembered at most; the oldest is forgotten first. */
const MAX_SESSIONS = 1000;

export class SessionApprovals {
  readonly #rules = new Map<string, SessionRule[]>();

  add(session: string, rule: SessionRule): void {
    const rules = this.#rules.get(session) ?? [];
    this.#rules.delete(session);
    if (!rules.some((known) => known.toolName === rule.toolName && known.ruleContent === rule.ruleContent)) rules.push(rule);
    this.#rules.set(session, rules);
    const oldest = this.#rules.keys().next().value;
    if (this.#rules.size > MAX_SESSIONS && oldest !== undefined) this.#rules.delete(oldest);
  }

  covers(session: string | null, request: CanUseTool): boolean {
    if (session === null) return false;
    return (this.#rules.get(session) ?? []).some((rule) => ruleApproves(rule, request));
  }
}
