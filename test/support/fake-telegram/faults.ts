// Fault injection: the next matching calls fail with an HTTP error (429 with
// retry_after, 5xx, anything), lose their connection, or stall first.
import type { CallRecord } from "./calls.js";

export type Fault =
  /** An error answer. A 429 carries `parameters.retry_after` (default 1 s; null leaves it out). */
  | { code: number; retry_after?: number | null; description?: string }
  /**
   * The socket is destroyed without a response. With `afterHandling` the call
   * takes effect first (a message is sent, then its answer is lost).
   */
  | { drop: true; afterHandling?: boolean }
  /** The call is answered normally after a delay. */
  | { delayMs: number };

/** Decides from a just-arrived call (status `pending`) whether a fault applies. */
export type CallMatcher = (call: CallRecord) => boolean;

export interface FaultHandle {
  /** How many more calls this rule will fail. */
  readonly remaining: number;
  cancel(): void;
}

interface Rule {
  match: CallMatcher;
  fault: Fault;
  remaining: number;
}

export class FaultPlan {
  private rules: Rule[] = [];

  /** Fails the next `times` calls that match a method name or predicate (Infinity for all). */
  add(match: string | CallMatcher, fault: Fault, times: number): FaultHandle {
    if (!(times > 0)) throw new Error(`fake-telegram: failNext needs times > 0 (got ${times})`);
    const rule: Rule = { match: typeof match === "string" ? (call) => call.method === match : match, fault, remaining: times };
    this.rules.push(rule);
    return {
      get remaining() {
        return rule.remaining;
      },
      cancel: () => {
        rule.remaining = 0;
        this.rules = this.rules.filter((r) => r !== rule);
      },
    };
  }

  /** The fault for this call, if a rule claims it (first added, first served). */
  take(call: CallRecord): Fault | undefined {
    const rule = this.rules.find((r) => r.match(call));
    if (rule === undefined) return undefined;
    rule.remaining--;
    if (rule.remaining <= 0) this.rules = this.rules.filter((r) => r !== rule);
    return rule.fault;
  }

  clear(): void {
    this.rules = [];
  }
}
