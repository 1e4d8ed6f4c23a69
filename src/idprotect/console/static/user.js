// A risky user: current risk, history as a timeline, detections with their locations.
import { h, when, badge, show, table } from "./dom.js";
import { all } from "./api.js";

const IP = "/v1.0/identityProtection";

function place(loc) {
  if (!loc) return "—";
  return [loc.city, loc.state, loc.countryOrRegion].filter(Boolean).join(", ") || "—";
}

function timeline(items) {
  const sorted = [...items].sort((a, b) => (b.riskLastUpdatedDateTime || "").localeCompare(a.riskLastUpdatedDateTime || ""));
  return h("ol", { class: "timeline", "aria-label": "Risk history" }, sorted.map((item) =>
    h("li", { class: "history-item" },
      h("time", { datetime: item.riskLastUpdatedDateTime, text: when(item.riskLastUpdatedDateTime) }),
      " ", badge(item.riskLevel), " ", h("strong", { text: item.riskState }),
      h("span", { text: ` — ${item.riskDetail || ""}${item.activity?.eventTypes?.length ? ` (${item.activity.eventTypes.join(", ")})` : ""}${item.initiatedBy ? `, by ${item.initiatedBy}` : ""}` }))));
}

function detectionRows(detections) {
  return detections.map((d) => h("tr", {},
    h("td", { text: when(d.activityDateTime) }), h("td", { text: d.riskEventType }), h("td", {}, badge(d.riskLevel)),
    h("td", { text: d.ipAddress || "—" }), h("td", { text: place(d.location) })));
}

function locations(detections) {
  const places = new Map();
  for (const d of detections) {
    const key = place(d.location);
    if (key !== "—") places.set(key, (places.get(key) || 0) + 1);
  }
  return h("ul", { class: "locations" }, [...places].map(([name, n]) => h("li", { text: `${name}: ${n} detection(s)` })));
}

export async function userPage(ctx, main, id) {
  main.replaceChildren(h("p", { text: "Loading..." }));
  try {
    const user = await ctx.api.get(`${IP}/riskyUsers/${encodeURIComponent(id)}`);
    const history = await all(ctx.api, `${IP}/riskyUsers/${encodeURIComponent(id)}/history`);
    const filter = encodeURIComponent(`userId eq '${id.replace(/'/g, "''")}'`);
    const detections = await all(ctx.api, `${IP}/riskDetections?$filter=${filter}`, 500).catch((e) => { show(`Detections: ${e.message}`); return []; });
    main.replaceChildren(
      h("p", {}, h("a", { href: "#/users", text: "← Risky users" })),
      h("h1", { text: user.userDisplayName || user.userPrincipalName }),
      h("dl", { class: "facts" },
        h("dt", { text: "User principal name" }), h("dd", { text: user.userPrincipalName }),
        h("dt", { text: "Risk level" }), h("dd", {}, badge(user.riskLevel)),
        h("dt", { text: "Risk state" }), h("dd", { id: "risk-state", text: user.riskState }),
        h("dt", { text: "Risk detail" }), h("dd", { text: user.riskDetail }),
        h("dt", { text: "Last updated" }), h("dd", { text: when(user.riskLastUpdatedDateTime) })),
      h("h2", { text: "History" }), timeline(history),
      h("h2", { text: "Detections" }),
      table(["Time", "Type", "Level", "IP address", "Location"], detectionRows(detections), "Risk detections of this user"),
      h("h2", { text: "Locations" }), locations(detections));
  } catch (error) {
    main.replaceChildren(h("h1", { text: "Risky user" }));
    show(`Could not load this user: ${error.message}`);
  }
}
