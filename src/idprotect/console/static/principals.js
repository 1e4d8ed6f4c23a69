// Risky service principals (v1.0) and risky agents (beta).
import { h, when, badge, show, table } from "./dom.js";

async function section(ctx, title, path, name) {
  try {
    const page = await ctx.api.get(path);
    return table(["Name", "Risk level", "Risk state", "Last updated"], page.value.map((p) => h("tr", {},
      h("td", { text: p[name] || p.id }), h("td", {}, badge(p.riskLevel)), h("td", { text: p.riskState }),
      h("td", { text: when(p.riskLastUpdatedDateTime) }))), title);
  } catch (error) {
    show(`${title}: ${error.message}`);
    return h("p", { class: "error", text: `${title}: ${error.message}` });
  }
}

export async function principalsPage(ctx, main) {
  main.replaceChildren(h("h1", { text: "Service principals and agents" }),
    h("h2", { text: "Risky service principals" }),
    await section(ctx, "Risky service principals", "/v1.0/identityProtection/riskyServicePrincipals?$top=50", "displayName"),
    h("h2", { text: "Risky agents" }),
    await section(ctx, "Risky agents", "/beta/identityProtection/riskyAgents?$top=50", "agentDisplayName"));
}
