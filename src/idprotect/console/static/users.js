// Risky users: filters, search, sort, paging over nextLink, and the actions on a selection.
import { h, when, badge, show, table, select, confirmDialog } from "./dom.js";

const BASE = "/v1.0/identityProtection/riskyUsers";
const LEVELS = [["", "Any level"], ["high", "High"], ["medium", "Medium"], ["low", "Low"], ["none", "None"]];
const STATES = [["", "Any state"], ["atRisk", "At risk"], ["confirmedCompromised", "Confirmed compromised"],
  ["remediated", "Remediated"], ["dismissed", "Dismissed"], ["confirmedSafe", "Confirmed safe"]];
const SORTS = [["riskLastUpdatedDateTime desc", "Last updated, newest"], ["riskLastUpdatedDateTime asc", "Last updated, oldest"],
  ["userPrincipalName asc", "User principal name"], ["userDisplayName asc", "Name"]];
const ACTIONS = [["dismiss", "Dismiss", "Dismissed"], ["confirmCompromised", "Confirm compromised", "Confirmed compromised"],
  ["confirmSafe", "Confirm safe", "Confirmed safe"]];
const filters = { level: "", state: "", since: "", search: "", sort: SORTS[0][0] };

function query() {
  const clauses = [];
  if (filters.level) clauses.push(`riskLevel eq '${filters.level}'`);
  if (filters.state) clauses.push(`riskState eq '${filters.state}'`);
  if (filters.since) clauses.push(`riskLastUpdatedDateTime ge ${new Date(filters.since).toISOString()}`);
  const text = filters.search.trim().replace(/'/g, "''");
  if (text) clauses.push(`(startswith(userPrincipalName,'${text}') or startswith(userDisplayName,'${text}'))`);
  const params = new URLSearchParams({ $top: "20", $orderby: filters.sort });
  if (clauses.length) params.set("$filter", clauses.join(" and "));
  return `${BASE}?${params}`;
}

function filterForm(reload) {
  const read = () => {
    for (const key of ["level", "state", "since", "search", "sort"]) filters[key] = document.getElementById(`f-${key}`).value;
    reload(query(), []);
  };
  return h("form", { class: "filters", role: "search", onsubmit: (e) => { e.preventDefault(); read(); } },
    select("f-level", "Risk level", LEVELS, filters.level),
    select("f-state", "Risk state", STATES, filters.state),
    h("label", { for: "f-since" }, "Updated since", h("input", { id: "f-since", type: "date", value: filters.since })),
    h("label", { for: "f-search" }, "Search", h("input", { id: "f-search", type: "search", placeholder: "UPN or name", value: filters.search })),
    select("f-sort", "Sort", SORTS, filters.sort),
    h("button", { type: "submit", id: "apply", text: "Apply" }));
}

function row(user) {
  return h("tr", {},
    h("td", {}, h("input", { type: "checkbox", class: "pick", value: user.id, "aria-label": `Select ${user.userPrincipalName}` })),
    h("td", {}, h("a", { href: `#/users/${user.id}`, text: user.userPrincipalName || user.id })),
    h("td", { text: user.userDisplayName || "" }), h("td", {}, badge(user.riskLevel)),
    h("td", { class: "state", text: user.riskState }), h("td", { text: when(user.riskLastUpdatedDateTime) }));
}

async function act(ctx, action, reload) {
  const ids = [...document.querySelectorAll(".pick:checked")].map((box) => box.value);
  if (!ids.length) return show("Select one or more users first.");
  const [name, label, done] = action;
  if (!(await confirmDialog(`${label}: ${ids.length} user(s)?`, label))) return;
  try {
    await ctx.api.post(`${BASE}/${name}`, { userIds: ids });
    show(`${done}: ${ids.length} user(s).`, "ok");
    reload();
  } catch (error) { show(`${label} failed: ${error.message}`); }
}

export async function usersPage(ctx, main) {
  let pages = [];
  const list = h("div", { class: "list" });
  async function load(path, history) {
    pages = history;
    try {
      const page = await ctx.api.get(path);
      const next = page["@odata.nextLink"];
      list.replaceChildren(
        table(["", "User", "Name", "Risk level", "Risk state", "Last updated"], page.value.map(row), "Risky users"),
        h("div", { class: "pager" },
          h("button", { id: "prev", disabled: !pages.length, text: "Previous page", onclick: () => load(pages.at(-1), pages.slice(0, -1)) }),
          h("button", { id: "next", disabled: !next, text: "Next page", onclick: () => load(next, [...pages, path]) })));
      current = path;
    } catch (error) { list.replaceChildren(); show(`Could not list risky users: ${error.message}`); }
  }
  let current = query();
  const reload = (path = current, history = pages) => load(path, history);
  const buttons = ctx.canAct ? h("div", { class: "actions", role: "toolbar", "aria-label": "Actions on the selected users" },
    ACTIONS.map((a) => h("button", { id: `act-${a[0]}`, text: a[1], onclick: () => act(ctx, a, reload) }))) : null;
  main.replaceChildren(h("h1", { text: "Risky users" }), filterForm(reload), buttons, list);
  await load(current, []);
}
