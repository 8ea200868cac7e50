// Fetch helpers: JSON in and out; a non-2xx answer throws an ApiError with the server's message.
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

async function send(method, url, body, extra = {}) {
  const json = body === undefined ? {} : { "Content-Type": "application/json" };
  const init = { method, headers: headers({ ...json, ...extra }) };
  if (body !== undefined) init.body = JSON.stringify(body);
  const response = await fetch(url, init);
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    const message = (data && data.message) || `${method} ${url} failed with HTTP ${response.status}`;
    throw new ApiError(response.status, message, data);
  }
  return data;
}

// When the server wants a token, ask for it once and keep it for the browser session.
async function withToken(method, url, body, extra) {
  try {
    return await send(method, url, body, extra);
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 401) throw error;
    const token = window.prompt("This server needs its API token:");
    if (!token) throw error;
    sessionStorage.setItem(TOKEN_KEY, token.trim());
    return send(method, url, body, extra);
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
