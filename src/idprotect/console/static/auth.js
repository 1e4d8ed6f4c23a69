// Sign-in: the built-in issuer's authorization-code flow with PKCE; the token lives in this
// tab's sessionStorage and travels only as a bearer header (no cookie carries authority).
const KEY = "idprotect.console.token";
const FLOW = "idprotect.console.flow";
const WRITERS = ["194ae4cb-b126-40b2-bd5b-6091b380977d", "62e90394-69f5-4237-9190-012177145e10"];

const b64url = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes)))
  .replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const random = (n) => b64url(crypto.getRandomValues(new Uint8Array(n)));

export function claimsOf(token) {
  const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
  return JSON.parse(decodeURIComponent(escape(atob(part))));
}

export function canAct(session) {
  if (!session.token) return true;  // --auth off: the local Security Administrator
  const scopes = (session.claims.scp || "").split(" ");
  const roles = session.claims.wids || [];
  return scopes.includes("IdentityRiskyUser.ReadWrite.All") && roles.some((r) => WRITERS.includes(r));
}

export async function startSignIn(config) {
  const verifier = random(48);
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  const state = random(16);
  sessionStorage.setItem(FLOW, JSON.stringify({ verifier, state, hash: location.hash }));
  const query = new URLSearchParams({
    client_id: config.clientId, response_type: "code", redirect_uri: config.redirectUri,
    scope: "https://graph.microsoft.com/.default openid profile", state,
    code_challenge: b64url(digest), code_challenge_method: "S256",
  });
  location.assign(`${config.authority}/authorize?${query}`);
}

async function redeem(config, params) {
  const flow = JSON.parse(sessionStorage.getItem(FLOW) || "{}");
  sessionStorage.removeItem(FLOW);
  if (!flow.state || flow.state !== params.get("state")) throw new Error("The sign-in answer does not match this tab's sign-in: sign in again.");
  const body = new URLSearchParams({
    grant_type: "authorization_code", client_id: config.clientId, code: params.get("code"),
    redirect_uri: config.redirectUri, code_verifier: flow.verifier,
  });
  const response = await fetch(`${config.authority}/token`, { method: "POST", body });
  const answer = await response.json();
  if (!response.ok) throw new Error(answer.error_description || answer.error);
  sessionStorage.setItem(KEY, answer.access_token);
  history.replaceState(null, "", `/console/${flow.hash || "#/users"}`);
}

export function signOut() { sessionStorage.removeItem(KEY); }

// The session: {token, claims}; null when the browser is on its way to the sign-in page.
export async function session(config) {
  if (config.auth === "off") return { token: null, claims: { name: "Local administrator (--auth off)" } };
  const params = new URLSearchParams(location.search);
  if (params.get("error")) throw new Error(params.get("error_description") || params.get("error"));
  if (params.get("code")) await redeem(config, params);
  const token = sessionStorage.getItem(KEY);
  const claims = token ? claimsOf(token) : null;
  if (!claims || claims.exp * 1000 < Date.now() + 30000) {
    signOut();
    await startSignIn(config);
    return null;
  }
  return { token, claims };
}
