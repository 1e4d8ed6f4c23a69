// Risk detections, filtered by type, level and time.
import { h, when, badge, show, table, select } from "./dom.js";

const LEVELS = [["", "Any level"], ["high", "High"], ["medium", "Medium"], ["low", "Low"]];
const f = { type: "", level: "", since: "" };

function query() {
  const clauses = [];
  if (f.type.trim()) clauses.push(`riskEventType eq '${f.type.trim().replace(/'/g, "''")}'`);
  if (f.level) clauses.push(`riskLevel eq '${f.level}'`);
  if (f.since) clauses.push(`activityDateTime ge ${new Date(f.since).toISOString()}`);
  const params = new URLSearchParams({ $top: "25" });
  if (clauses.length) params.set("$filter", clauses.join(" and "));
  return `/v1.0/identityProtection/riskDetections?${params}`;
}

export async function detectionsPage(ctx, main) {
  const list = h("div");
  async function load(path) {
    try {
      const page = await ctx.api.get(path);
      const next = page["@odata.nextLink"];
      list.replaceChildren(table(["Time", "User", "Type", "Level", "State", "IP address", "Location"], page.value.map((d) => h("tr", {},
        h("td", { text: when(d.activityDateTime) }), h("td", {}, h("a", { href: `#/users/${d.userId}`, text: d.userPrincipalName || d.userId })),
        h("td", { text: d.riskEventType }), h("td", {}, badge(d.riskLevel)), h("td", { text: d.riskState }),
        h("td", { text: d.ipAddress || "—" }), h("td", { text: [d.location?.city, d.location?.countryOrRegion].filter(Boolean).join(", ") || "—" }))), "Risk detections"),
        h("div", { class: "pager" }, h("button", { id: "next", disabled: !next, text: "Next page", onclick: () => load(next) })));
    } catch (error) { list.replaceChildren(); show(`Could not list detections: ${error.message}`); }
  }
  const form = h("form", { class: "filters", role: "search", onsubmit: (e) => {
    e.preventDefault();
    f.type = document.getElementById("d-type").value; f.level = document.getElementById("d-level").value; f.since = document.getElementById("d-since").value;
    load(query());
  } },
  h("label", { for: "d-type" }, "Type", h("input", { id: "d-type", placeholder: "e.g. unfamiliarFeatures", value: f.type })),
  select("d-level", "Risk level", LEVELS, f.level),
  h("label", { for: "d-since" }, "Since", h("input", { id: "d-since", type: "date", value: f.since })),
  h("button", { type: "submit", text: "Apply" }));
  main.replaceChildren(h("h1", { text: "Risk detections" }), form, list);
  await load(query());
}
