/**
 * `web_fetch`: the readable content of a web page (spec §5.10, config §3.1.1). Runs on the server,
 * not in the sandbox, and reaches the network only through the injected {@link Fetcher}.
 */

import type { Fetcher, FetchedResponse } from '../web-fetcher.js';
import { InputError, InputReader } from '../tool-input.js';
import { errorResult, textResult, type ToolResult } from '../tool-result.js';
import { errorMessage } from '../sandbox-failure.js';
import { looksBinary, sniffMediaType } from '../text/file-content.js';
import { headOf } from '../text/truncate.js';
import { decodeBody, mediaTypeOf } from './charset.js';
import { refusal } from './domain-rules.js';
import { htmlToText } from './html-to-text.js';

/** The per-tool settings of the agent's `web_fetch` config (spec §3.1.1). */
export interface WebFetchConfig {
  allowed_domains?: string[] | null;
  blocked_domains?: string[] | null;
  max_content_tokens?: number | null;
}

export interface WebFetchOptions {
  /** How pages are fetched; without one the tool answers that web_fetch is not configured. */
  fetcher?: Fetcher;
  config?: WebFetchConfig;
  /** Most bytes read from a response. Default 10 MiB. */
  maxBytes?: number;
  /** Time allowed for the request. Default 30 000 ms. */
  timeoutMs?: number;
  /** Characters of text returned when the config sets no `max_content_tokens`. Default 100 000. */
  maxContentChars?: number;
  /** Longest URL accepted. Default 2048. */
  maxUrlLength?: number;
  /** Largest PDF returned as a document block. Default 10 MiB. */
  maxPdfBytes?: number;
  /** Largest image returned. Default 3.75 MiB (5 MB once base64-encoded, the Messages API limit). */
  maxImageBytes?: number;
  signal?: AbortSignal;
}

type WebFetchLimits = Required<Pick<WebFetchOptions, 'maxBytes' | 'timeoutMs' | 'maxContentChars' | 'maxUrlLength' | 'maxPdfBytes' | 'maxImageBytes'>>;

/** The limits used when {@link WebFetchOptions} leaves them out. */
export const WEB_FETCH_DEFAULTS: Readonly<WebFetchLimits> = Object.freeze({
  maxBytes: 10 * 1024 * 1024,
  timeoutMs: 30_000,
  maxContentChars: 100_000,
  maxUrlLength: 2048,
  maxPdfBytes: 10 * 1024 * 1024,
  maxImageBytes: 3.75 * 1024 * 1024,
});

/** Characters per token used to turn `max_content_tokens` into a length (a common estimate for English text). */
const CHARS_PER_TOKEN = 4;

const TEXT_TYPES = /^(?:text\/|application\/(?:json|xml|javascript|x-javascript|ecmascript|x-yaml|yaml|toml|x-sh|rss\+xml|atom\+xml|ld\+json)$|application\/[\w.+-]+\+(?:json|xml)$)/;
const HTML_TYPES = new Set(['text/html', 'application/xhtml+xml']);

export interface WebFetchInput {
  url: string;
}

/** Reads and checks a `web_fetch` input. @throws InputError */
export function parseWebFetchInput(raw: unknown, maxUrlLength: number = WEB_FETCH_DEFAULTS.maxUrlLength): { url: URL } {
  const input = new InputReader('web_fetch', raw, ['url']);
  const text = input.string('url').trim();
  if (text.length > maxUrlLength) throw new InputError(`web_fetch: the URL is ${text.length} characters long; at most ${maxUrlLength} are accepted`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InputError(`web_fetch: ${JSON.stringify(text.slice(0, 200))} is not a valid absolute URL (include the scheme, e.g. https://)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InputError(`web_fetch: only http and https URLs can be fetched, not ${url.protocol}`);
  if (url.username !== '' || url.password !== '') throw new InputError('web_fetch: URLs with a user name or password are not fetched');
  return { url };
}

function sniffHtml(body: Uint8Array): boolean {
  const head = new TextDecoder('latin1').decode(body.subarray(0, 1024)).trimStart().toLowerCase();
  return head.startsWith('<!doctype html') || head.startsWith('<html') || /<(?:head|body|title)[\s>]/.test(head);
}

function fileNameOf(url: URL): string {
  const last = url.pathname.split('/').pop() || url.hostname;
  try {
    return decodeURIComponent(last);
  } catch {
    return last;
  }
}

/**
 * Runs a `web_fetch` call: HTML is converted to readable text, other text is returned as it is,
 * PDFs as document blocks and images as image blocks. Domain rules are checked before the request
 * and again on the address it was redirected to.
 *
 * @example
 * await webFetchTool({ url: 'https://example.com/docs' }, null, { fetcher, config: { allowed_domains: ['example.com'] } });
 */
export async function webFetchTool(raw: unknown, _sandbox: unknown, options: WebFetchOptions = {}): Promise<ToolResult> {
  const limits = { ...WEB_FETCH_DEFAULTS, ...options };
  let url: URL;
  try {
    url = parseWebFetchInput(raw, limits.maxUrlLength).url;
  } catch (err) {
    if (err instanceof InputError) return errorResult(err.message);
    throw err;
  }
  const rules = { allowedDomains: options.config?.allowed_domains, blockedDomains: options.config?.blocked_domains };
  const refused = refusal(url, rules);
  if (refused) return errorResult(`web_fetch: url_not_allowed: ${refused}`);
  if (!options.fetcher) return errorResult('web_fetch: unavailable: no fetcher is configured in this deployment, so web pages cannot be fetched');

  const signals = [AbortSignal.timeout(limits.timeoutMs), ...(options.signal ? [options.signal] : [])];
  let response: FetchedResponse;
  try {
    response = await options.fetcher(url.href, { signal: AbortSignal.any(signals), maxBytes: limits.maxBytes });
  } catch (err) {
    if (options.signal?.aborted) return errorResult('web_fetch: the request was interrupted');
    if (signals[0]?.aborted) return errorResult(`web_fetch: url_not_accessible: ${url.href} did not answer within ${limits.timeoutMs} ms`);
    return errorResult(`web_fetch: url_not_accessible: ${url.href}: ${errorMessage(err)}`);
  }

  let finalUrl: URL;
  try {
    finalUrl = new URL(response.finalUrl || url.href);
  } catch {
    finalUrl = url;
  }
  const refusedFinal = refusal(finalUrl, rules);
  if (refusedFinal) return errorResult(`web_fetch: url_not_allowed: ${url.href} redirected to ${finalUrl.href}, and ${refusedFinal}`);
  if (response.status < 200 || response.status >= 300) {
    return errorResult(`web_fetch: url_not_accessible: ${finalUrl.href} answered with HTTP status ${response.status}`);
  }
  return renderBody(response, url, finalUrl, limits, options.config?.max_content_tokens ?? undefined);
}

function renderBody(response: FetchedResponse, url: URL, finalUrl: URL, limits: WebFetchLimits, maxTokens: number | undefined): ToolResult {
  const body = response.body;
  const cut = body.length >= limits.maxBytes;
  let type = mediaTypeOf(response.contentType);
  const sniffed = sniffMediaType(body);
  if (type === '' || type === 'application/octet-stream') type = sniffed ?? (sniffHtml(body) ? 'text/html' : looksBinary(body) ? type : 'text/plain');

  if (type === 'application/pdf') {
    if (cut || body.length > limits.maxPdfBytes) return errorResult(`web_fetch: content_too_large: the PDF at ${finalUrl.href} is larger than ${limits.maxPdfBytes} bytes`);
    const title = fileNameOf(finalUrl);
    return { content: [{ type: 'document', source: { type: 'base64', media_type: type, data: Buffer.from(body).toString('base64') }, title }], isError: false };
  }
  if (sniffed !== undefined && sniffed.startsWith('image/') && type.startsWith('image/')) {
    if (cut || body.length > limits.maxImageBytes) return errorResult(`web_fetch: content_too_large: the image at ${finalUrl.href} is larger than ${limits.maxImageBytes} bytes`);
    return {
      content: [
        { type: 'text', text: `URL: ${finalUrl.href}\n${sniffed.slice('image/'.length)} image, ${body.length} bytes` },
        { type: 'image', source: { type: 'base64', media_type: sniffed, data: Buffer.from(body).toString('base64') } },
      ],
      isError: false,
    };
  }
  const html = HTML_TYPES.has(type);
  if (!html && !TEXT_TYPES.test(type)) {
    return errorResult(`web_fetch: unsupported_content_type: ${finalUrl.href} is ${type || 'of an unknown type'}; web_fetch returns web pages, text, PDFs and images`);
  }

  const decoded = decodeBody(body, response.contentType, html);
  const page = html ? htmlToText(decoded, finalUrl.href) : { title: undefined, text: decoded.trim() };
  const maxChars = maxTokens !== undefined && maxTokens > 0 ? maxTokens * CHARS_PER_TOKEN : limits.maxContentChars;
  const text = headOf(page.text, maxChars);

  const header = [`URL: ${finalUrl.href}${finalUrl.href !== url.href ? ` (redirected from ${url.href})` : ''}`];
  if (page.title) header.push(`Title: ${page.title}`);
  const notes: string[] = [];
  if (text.length < page.text.length) {
    const limit = maxTokens !== undefined && maxTokens > 0 ? `max_content_tokens (${maxTokens})` : `${maxChars} characters`;
    notes.push(`[content truncated: the page has about ${Math.ceil(page.text.length / CHARS_PER_TOKEN)} tokens of text; only the first ${limit} are shown]`);
  }
  if (cut) notes.push(`[only the first ${limits.maxBytes} bytes of the response were read]`);
  return textResult([header.join('\n'), '', text === '' ? '(the page has no readable text)' : text, ...notes].join('\n'));
}
