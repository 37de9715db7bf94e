// Public entry of the scripted fake LLM used by the engine conformance tests.
// Protocol: one HTTP port speaking OpenAI Responses, OpenAI Chat Completions
// and Anthropic Messages (SSE and non-streaming), scenario-selectable through a
// `/s/<scenario>/` base-URL prefix, plus a blackhole proxy that records and
// refuses every attempt to reach another host.
export { startFakeLlm } from "./fake-llm/server.js";
export type { FakeLlm, FakeLlmOptions, ProxyAttempt, RecordedRequest, ServerError } from "./fake-llm/server.js";
export { SCENARIOS, isScenario, type Scenario } from "./fake-llm/scenarios.js";
export {
  APPLY_PATCH,
  EDIT_CONTENT,
  EDIT_FILE,
  REASONING_TEXT,
  SHELL_COMMAND,
  SLEEP_COMMAND,
  TEXT_ANSWER,
} from "./fake-llm/scenarios.js";
export { RESPONSES_ERRORS } from "./fake-llm/responses.js";
export { CHAT_ERRORS } from "./fake-llm/chat.js";
export { ANTHROPIC_ERRORS, THINKING_SIGNATURE } from "./fake-llm/anthropic.js";
