// The Graph API as any client calls it: a bearer token, JSON, Graph's errors as messages.
export class ApiError extends Error {
  constructor(status, code, message) { super(message); this.status = status; this.code = code; }
}

export function makeApi(session, onUnauthorized) {
  async function call(path, options = {}) {
    const headers = { Accept: "application/json", ...(options.body ? { "Content-Type": "application/json" } : {}) };
    if (session.token) headers.Authorization = `Bearer ${session.token}`;
    const response = await fetch(path, { ...options, headers });
    if (response.status === 401) { onUnauthorized(); throw new ApiError(401, "InvalidAuthenticationToken", "Your sign-in has expired."); }
    if (response.status === 204) return null;
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      const error = body.error || {};
      throw new ApiError(response.status, error.code || String(response.status), error.message || response.statusText);
    }
    return body;
  }
  return {
    get: (path) => call(path),
    post: (path, payload) => call(path, { method: "POST", body: JSON.stringify(payload) }),
  };
}

// Every page of a collection, following @odata.nextLink (at most `limit` items).
export async function all(api, path, limit = 2000) {
  const items = [];
  let next = path;
  while (next && items.length < limit) {
    const page = await api.get(next);
    items.push(...page.value);
    next = page["@odata.nextLink"];
  }
  return items;
}
