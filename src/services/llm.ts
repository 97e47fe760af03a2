// The optional LLM provider: one OpenAI-compatible chat-completions endpoint set by the operator
// (CTXGATE_LLM_URL / _MODEL / _KEY), usable by any feature that wants a model (distill's prompt
// strategies and postprocess_prompt today). One request, one answer, no streaming, no retries here.
//
// Outbound address: the endpoint comes from the operator's configuration, never from a caller, so
// it is trusted like CTXGATE_URL_ALLOWLIST entries: its host is allowed even on loopback or a
// private network (a local llama.cpp or Ollama on 127.0.0.1 is the common case). It still goes
// through resolveAllowed, and the connection is made to the address that was checked (no second DNS
// answer can redirect it); redirects are not followed.
//
// Failures name the provider: no answer in time → 504 (UpstreamTimeout); connection refused, HTTP
// error, or a body that is not a chat completion → 502 (UpstreamFailed). The caller's input is never
// touched by a failed call.
import http from 'node:http';
import https from 'node:https';
import type { AppDeps } from '../app-deps.js';
import { UpstreamFailed, UpstreamTimeout } from '../errors.js';
import { pinnedLookup, resolveAllowed, UrlAllowlist } from './url-fetch.js';

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
    // Operator-configured host: allowed wherever it resolves (see the header comment).
    const allow = new UrlAllowlist([url.hostname, ...this.deps.config.urlAllowlist]);
    const target = await resolveAllowed(url.hostname, allow);
    const body = JSON.stringify({ model, messages, temperature: opts.temperature ?? 0, ...(opts.maxTokens ? { max_tokens: opts.maxTokens } : {}), stream: false });
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
    const extra = { provider };
    let status: number;
    let text: string;
    try {
      ({ status, text } = await post(url, target, body, key, signal));
    } catch (err) {
      if (timeout.aborted) throw new UpstreamTimeout(`LLM provider ${provider} gave no answer within ${timeoutMs} ms (CTXGATE_LLM_TIMEOUT_MS)`, extra);
      if (opts.signal?.aborted) throw err;
      const code = (err as NodeJS.ErrnoException).code ?? 'connection error';
      throw new UpstreamFailed(`LLM provider ${provider} could not be reached (${code})`, 'llm_failed', extra);
    }
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

function post(url: URL, target: { address: string; family: 4 | 6 }, body: string, key: string | undefined, signal: AbortSignal): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const mod = url.protocol === 'https:' ? https : http;
    const req = mod.request(
      url,
      {
        method: 'POST',
        signal,
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          'content-length': Buffer.byteLength(body),
          'user-agent': 'ctxgate-llm/1',
          ...(key ? { authorization: `Bearer ${key}` } : {}),
        },
        lookup: pinnedLookup(target),
      },
      (res) => {
        const parts: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_RESPONSE_BYTES) {
            res.destroy(Object.assign(new Error('response too large'), { code: 'response_too_large' }));
            return;
          }
          parts.push(c);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(parts).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
