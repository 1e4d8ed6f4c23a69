// The console: signs in, then routes #/... to its pages, each a client of the Graph API.
import { session, canAct, signOut, startSignIn } from "./auth.js";
import { makeApi } from "./api.js";
import { h, show } from "./dom.js";
import { usersPage } from "./users.js";
import { userPage } from "./user.js";
import { detectionsPage } from "./detections.js";
import { principalsPage } from "./principals.js";
import { dashboardPage } from "./dashboard.js";

async function route(ctx) {
  const main = document.getElementById("main");
  const [, page, id] = (location.hash || "#/users").split("/");
  show("");
  for (const link of document.querySelectorAll("nav a")) {
    link.toggleAttribute("aria-current", link.getAttribute("href") === `#/${page}`);
  }
  if (page === "users" && id) return userPage(ctx, main, decodeURIComponent(id));
  if (page === "detections") return detectionsPage(ctx, main);
  if (page === "principals") return principalsPage(ctx, main);
  if (page === "dashboard") return dashboardPage(ctx, main);
  return usersPage(ctx, main);
}

async function start() {
  const config = await (await fetch("/console/config.json")).json();
  let current;
  try { current = await session(config); } catch (error) {
    document.getElementById("main").replaceChildren(
      h("h1", { text: "Sign-in failed" }), h("p", { text: error.message }),
      h("button", { text: "Sign in again", onclick: () => startSignIn(config) }));
    return;
  }
  if (!current) return;  // on the way to the sign-in page
  const onUnauthorized = () => { signOut(); startSignIn(config); };
  const ctx = { api: makeApi(current, onUnauthorized), canAct: canAct(current) };
  const who = current.claims.upn || current.claims.name || "";
  document.getElementById("who").replaceChildren(who, ctx.canAct ? "" : " (read only)",
    current.token ? h("button", { id: "signout", text: "Sign out", onclick: () => { signOut(); location.assign("/console/"); } }) : "");
  window.addEventListener("hashchange", () => route(ctx));
  await route(ctx);
}

start().catch((error) => show(`The console could not start: ${error.message}`));
