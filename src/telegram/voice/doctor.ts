/**
 * `takopi doctor`'s voice transcription check: off, or where the key comes
 * from, and whether the endpoint answers and takes the key — asked with
 * `GET <base_url>/models`, which OpenAI and most compatible servers serve
 * and which costs nothing. One line each, with what to fix.
 */
import type { TelegramSettings } from "../../config/schema.js";
import type { DoctorCheck } from "../../plugins/types.js";
import { describeUrl, listModels, MISSING_KEY_HINT, TranscriptionError, transcriptionEndpoint } from "./transcription.js";

const LABEL = "voice transcription";
const ENDPOINT_LABEL = "transcription endpoint";
const TIMEOUT_MS = 10_000;

export async function voiceDoctorChecks(settings: TelegramSettings, signal: AbortSignal, env: NodeJS.ProcessEnv = process.env): Promise<DoctorCheck[]> {
  if (!settings.voice_transcription) return [{ label: LABEL, status: "ok", detail: "disabled" }];
  const endpoint = transcriptionEndpoint(settings, env);
  const where = describeUrl(endpoint.baseUrl);
  if (endpoint.apiKey === null) {
    return [
      { label: LABEL, status: "fail", detail: "API key not set", fix: MISSING_KEY_HINT.replaceAll("`", "") },
      { label: ENDPOINT_LABEL, status: "skip", detail: `${where} (no key to try)` },
    ];
  }
  const checks: DoctorCheck[] = [{ label: LABEL, status: "ok", detail: `${endpoint.keySource ?? "key"} set, model ${settings.voice_transcription_model}` }];
  const keyName = endpoint.keySource === "OPENAI_API_KEY" ? "OPENAI_API_KEY" : "transports.telegram.voice_transcription_api_key";
  const urlName = settings.voice_transcription_base_url === null ? "transports.telegram.voice_transcription_base_url (or OPENAI_BASE_URL)" : "transports.telegram.voice_transcription_base_url";
  try {
    const models = await listModels(endpoint, { timeoutMs: TIMEOUT_MS, signal });
    const model = settings.voice_transcription_model;
    if (models !== null && models.length > 0 && !models.includes(model)) {
      checks.push({
        label: ENDPOINT_LABEL,
        status: "warn",
        detail: `${where} answers and takes the key, but does not list the model ${model}`,
        fix: `set transports.telegram.voice_transcription_model to one it serves (${models.slice(0, 5).join(", ")}${models.length > 5 ? ", …" : ""})`,
      });
    } else {
      checks.push({ label: ENDPOINT_LABEL, status: "ok", detail: `${where} answers and takes the key` });
    }
  } catch (error) {
    if (!(error instanceof TranscriptionError)) throw error;
    checks.push(endpointProblem(error, where, keyName, urlName));
  }
  return checks;
}

function endpointProblem(error: TranscriptionError, where: string, keyName: string, urlName: string): DoctorCheck {
  if (error.status === 401 || error.status === 403) {
    return { label: ENDPOINT_LABEL, status: "fail", detail: `the key was refused: ${error.message}`, fix: `check ${keyName}` };
  }
  if (error.status !== null) {
    // Some local servers serve transcriptions but no model list: it answers, which is what can be told.
    return { label: ENDPOINT_LABEL, status: "warn", detail: `${error.message} to GET /models; cannot tell whether the key works`, fix: `check ${urlName} (it should end in /v1 or the like)` };
  }
  return { label: ENDPOINT_LABEL, status: "fail", detail: error.message, fix: `check ${urlName} and that the server is running` };
}
