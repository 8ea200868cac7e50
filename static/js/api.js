import { COLUMNS_TYPE, readColumns } from "./columns.js";

// Fetch helpers: JSON in and out (and the trials' binary columns); a non-2xx answer throws an ApiError with the server's message.
const TOKEN_KEY = "hyperzoom-token";

export class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

function headers(extra = {}) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  return token ? { ...extra, Authorization: `Bearer ${token}` } : extra;
}

const readJSON = (response) => response.json().catch(() => null);

// The answer read by `read` (JSON unless told), or an ApiError with the server's message.
async function answer(response, method, url, read = readJSON) {
  if (response.ok) return read(response);
  const data = await readJSON(response);
  const message = (data && data.message) || `${method} ${url} failed with HTTP ${response.status}`;
  throw new ApiError(response.status, message, data);
}

async function send(method, url, body, extra = {}, read = readJSON) {
  const json = body === undefined ? {} : { "Content-Type": "application/json" };
  const init = { method, headers: headers({ ...json, ...extra }) };
  if (body !== undefined) init.body = JSON.stringify(body);
  return answer(await fetch(url, init), method, url, read);
}

// When the server wants a token, ask for it once and keep it for the browser session.
async function withToken(method, url, body, extra, read) {
  try {
    return await send(method, url, body, extra, read);
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 401) throw error;
    const token = window.prompt("This server needs its API token:");
    if (!token) throw error;
    sessionStorage.setItem(TOKEN_KEY, token.trim());
    return send(method, url, body, extra, read);
  }
}

export function getJSON(url) {
  return withToken("GET", url);
}

// `extra`: more headers, such as the Idempotency-Key that makes a retried refine happen once.
export function postJSON(url, body, extra = {}) {
  return withToken("POST", url, body, extra);
}

// PUT: replace something whole, such as a note.
export function putJSON(url, body) {
  return withToken("PUT", url, body);
}

// Binary columns when the server sends them, else its JSON (the same fields; columns.js).
async function readAnyColumns(response) {
  const type = response.headers.get("Content-Type") || "";
  return type.startsWith(COLUMNS_TYPE) ? readColumns(await response.arrayBuffer()) : response.json();
}

// The trials as columns (GET .../trials/columns), as typed arrays. The page's template starts
// its first read before any module loads (window.hzEarlyReads: url -> fetch); it is used once.
export async function getColumns(url) {
  const early = window.hzEarlyReads && window.hzEarlyReads[url];
  if (early) {
    delete window.hzEarlyReads[url];
    const response = await early;
    if (response && response.ok) return readAnyColumns(response);
  }
  return withToken("GET", url, undefined, { Accept: COLUMNS_TYPE }, readAnyColumns);
}
