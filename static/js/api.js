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

async function send(method, url, body) {
  const init = { method, headers: headers(body === undefined ? {} : { "Content-Type": "application/json" }) };
  if (body !== undefined) init.body = JSON.stringify(body);
  const response = await fetch(url, init);
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    const message = (data && data.message) || `${method} ${url} failed with HTTP ${response.status}`;
    throw new ApiError(response.status, message, data);
  }
  return data;
}

export function getJSON(url) {
  return send("GET", url);
}

// A mutating call; when the server wants a token, ask for it once and keep it for the session.
export async function postJSON(url, body) {
  try {
    return await send("POST", url, body);
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 401) throw error;
    const token = window.prompt("This server needs its API token:");
    if (!token) throw error;
    sessionStorage.setItem(TOKEN_KEY, token.trim());
    return send("POST", url, body);
  }
}
