// Building the page without innerHTML: text is always text.
export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (name === "text") node.textContent = value;
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false) node.append(child);
  }
  return node;
}

export const when = (iso) => (iso ? new Date(iso).toLocaleString() : "—");
export const badge = (level) => h("span", { class: `badge ${level}`, text: level || "—" });

export function show(message, kind = "error") {
  const box = document.getElementById("message");
  box.replaceChildren(message ? h("p", { class: kind, text: message }) : "");
}

export function table(columns, rows, caption) {
  return h("table", {},
    h("caption", { text: caption }),
    h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col", text: c })))),
    h("tbody", {}, rows.length ? rows : h("tr", {}, h("td", { colspan: columns.length, text: "Nothing to show." }))));
}

export function select(id, label, options, value) {
  return h("label", { for: id }, label,
    h("select", { id }, options.map(([v, text]) => h("option", { value: v, selected: v === value, text }))));
}

// A modal confirmation: resolves true when the operator confirms.
export function confirmDialog(text, action) {
  return new Promise((resolve) => {
    const dialog = h("dialog", { "aria-labelledby": "confirm-text" },
      h("p", { id: "confirm-text", text }),
      h("div", { class: "buttons" },
        h("button", { id: "confirm-yes", class: "primary", text: action, onclick: () => close(true) }),
        h("button", { id: "confirm-no", text: "Cancel", onclick: () => close(false) })));
    const close = (answer) => { dialog.close(); dialog.remove(); resolve(answer); };
    dialog.addEventListener("cancel", () => close(false));
    document.body.append(dialog);
    dialog.showModal();
  });
}
