// The optional LLM provider: one OpenAI-compatible chat-completions endpoint set by the operator
// (CTXGATE_LLM_URL / _MODEL / _KEY), usable by any feature that wants a model (distill's prompt
// strategies and postprocess_prompt today). One request, one answer, no streaming, no retries here.
//
// Outbound address: the endpoint comes from the operator's configuration, never from a caller, so
// it is trusted like CTXGATE_URL_ALLOWLIST entries: its host is allowed even on loopback or a
// private network (a local llama.cpp or Ollama on 127.0.0.1 is the common case). It still goes
// through the one outbound POST (url-fetch.ts pinnedPost): the connection is made to the address that
// was checked (no second DNS answer can redirect it); redirects are not followed.
//
// Failures name the provider: no answer in time → 504 (UpstreamTimeout); connection refused, HTTP
// error, or a body that is not a chat completion → 502 (UpstreamFailed). The caller's input is never
// touched by a failed call.
import type { AppDeps } from '../app-deps.js';
import { UpstreamFailed } from '../errors.js';
import { pinnedPost } from './url-fetch.js';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** Largest provider answer read (bytes): a chat completion is small; anything bigger is a fault. */
const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

export class LlmService {
  constructor(private readonly deps: AppDeps) {}

  /** The provider's name (the model, as in distill metadata), or null when none is configured. */
  get provider(): string | null {
    const { url, model } = this.deps.config.llm;
    return url && model ? model : null;
  }

  private endpoint(): URL {
    const { url } = this.deps.config.llm;
    const u = new URL(url!);
    if (!/\/chat\/completions\/?$/.test(u.pathname)) u.pathname = u.pathname.replace(/\/?$/, '/chat/completions');
    return u;
  }

  /** One chat completion: the assistant's text. Throws UpstreamTimeout / UpstreamFailed naming the provider. */
  async chat(messages: ChatMessage[], opts: { signal?: AbortSignal; maxTokens?: number; temperature?: number } = {}): Promise<string> {
    const { model, key, timeoutMs } = this.deps.config.llm;
    const provider = this.provider;
    if (!provider) throw new Error('LlmService.chat called without a configured provider');
    const url = this.endpoint();
    const body = JSON.stringify({ model, messages, temperature: opts.temperature ?? 0, ...(opts.maxTokens ? { max_tokens: opts.maxTokens } : {}), stream: false });
    const extra = { provider };
    const { status, body: text } = await pinnedPost(url, body, { accept: 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) }, {
      // Operator-configured host: allowed wherever it resolves (see the header comment).
      allowlist: [url.hostname, ...this.deps.config.urlAllowlist],
      timeoutMs,
      timeoutSetting: 'CTXGATE_LLM_TIMEOUT_MS',
      signal: opts.signal,
      maxResponseBytes: MAX_RESPONSE_BYTES,
      overflow: 'fail',
      userAgent: 'ctxgate-llm/1',
      label: `LLM provider ${provider}`,
      errorCode: 'llm_failed',
      extra,
    });
    if (status < 200 || status >= 300) {
      throw new UpstreamFailed(`LLM provider ${provider} answered HTTP ${status}`, 'llm_failed', { ...extra, upstream_status: status });
    }
    let parsed: { choices?: Array<{ message?: { content?: unknown } }> };
    try {
      parsed = JSON.parse(text) as typeof parsed;
    } catch {
      throw new UpstreamFailed(`LLM provider ${provider} answered with a body that is not JSON`, 'llm_failed', extra);
    }
    const content = parsed.choices?.[0]?.message?.content;
    if (typeof content !== 'string' || !content.trim()) {
      throw new UpstreamFailed(`LLM provider ${provider} answered without choices[0].message.content`, 'llm_failed', extra);
    }
    return content;
  }
}
