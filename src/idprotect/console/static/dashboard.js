// The dashboard: users by risk level and state, detections per day (the last 30 days).
import { h, show } from "./dom.js";
import { all } from "./api.js";

function counts(items, key) {
  const map = new Map();
  for (const item of items) map.set(item[key], (map.get(item[key]) || 0) + 1);
  return map;
}

function bars(title, map) {
  const max = Math.max(1, ...map.values());
  return h("figure", { class: "bars" }, h("figcaption", { text: title }),
    h("ul", {}, [...map].map(([name, n]) => h("li", {},
      h("span", { class: "label", text: name }),
      h("meter", { min: 0, max, value: n, "aria-label": `${name}: ${n}` }),
      h("span", { class: "count", text: String(n) })))));
}

function perDay(detections) {
  const days = new Map();
  const today = new Date();
  for (let i = 29; i >= 0; i--) {
    const d = new Date(today); d.setDate(today.getDate() - i);
    days.set(d.toLocaleDateString(), 0);
  }
  for (const d of detections) {
    const day = new Date(d.activityDateTime).toLocaleDateString();
    if (days.has(day)) days.set(day, days.get(day) + 1);
  }
  const max = Math.max(1, ...days.values());
  const width = 30 * 20;
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", `0 0 ${width} 120`); svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", "Detections per day, last 30 days");
  [...days].forEach(([day, n], i) => {
    const bar = document.createElementNS("http://www.w3.org/2000/svg", "rect");
    const height = (n / max) * 100;
    for (const [k, v] of Object.entries({ x: i * 20 + 2, y: 110 - height, width: 16, height, class: "bar" })) bar.setAttribute(k, v);
    const tip = document.createElementNS("http://www.w3.org/2000/svg", "title");
    tip.textContent = `${day}: ${n}`; bar.append(tip); svg.append(bar);
  });
  return h("figure", { class: "chart" }, h("figcaption", { text: "Detections per day (last 30 days)" }), svg);
}

export async function dashboardPage(ctx, main) {
  main.replaceChildren(h("h1", { text: "Dashboard" }), h("p", { text: "Loading..." }));
  try {
    const users = await all(ctx.api, "/v1.0/identityProtection/riskyUsers?$top=500");
    const since = new Date(Date.now() - 30 * 86400000).toISOString();
    const detections = await all(ctx.api, `/v1.0/identityProtection/riskDetections?$top=500&$filter=activityDateTime ge ${since}`, 5000);
    main.replaceChildren(h("h1", { text: "Dashboard" }),
      h("div", { class: "cards" }, bars("Users by risk level", counts(users, "riskLevel")), bars("Users by risk state", counts(users, "riskState"))),
      perDay(detections));
  } catch (error) { show(`Could not load the dashboard: ${error.message}`); }
}
