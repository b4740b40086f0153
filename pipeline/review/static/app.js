// tmpipe review workspace. Every text from a document, a memory or a model is shown with
// textContent (never as HTML). Requests carry the access token in a header.
"use strict";

const TOKEN = document.querySelector('meta[name="tmpipe-token"]').content;
const PAGE = 200;  // rows in the DOM at a time

const $ = (id) => document.getElementById(id);
const state = {
  doc: null, units: [], byN: new Map(), rowEl: new Map(), visible: [], page: 0,
  current: null, edits: new Map(), warned: new Map(), detailSeq: 0, saving: false,
};

function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function status(message, isError) {
  const node = $("status");
  node.textContent = message;
  node.classList.toggle("error", Boolean(isError));
}

async function api(path, options = {}) {
  const headers = { "X-Tmpipe-Token": TOKEN };
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {
    method: options.method || "GET", headers, credentials: "same-origin",
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  let data = null;
  try { data = await response.json(); } catch (e) { data = { error: response.statusText }; }
  return { status: response.status, ok: response.ok, data };
}

// ------------------------------------------------------------------ grid

function flagChips(container, unit) {
  container.replaceChildren();
  if (unit.risk !== null && unit.risk !== undefined) {
    const high = state.doc && state.doc.risk_high !== null && unit.risk >= state.doc.risk_high;
    const chip = el("span", "chip risk" + (high ? " high" : ""), `risk ${unit.risk.toFixed(2)}`);
    chip.title = unit.risk_reasons.length ? `why: ${unit.risk_reasons.join("; ")}`
      : "estimated chance the translation is poor";
    container.append(chip);
  }
  for (const f of unit.flags) {
    const severity = f.check === "engine" ? "info" : f.severity;
    const chip = el("span", "chip " + severity, f.check);
    chip.title = f.message;
    container.append(chip);
  }
  for (const f of unit.segment_flags) {
    const chip = el("span", "chip info", f);
    container.append(chip);
  }
}

function fillRow(row, unit) {
  const cells = row.children;
  cells[0].textContent = unit.n;
  cells[1].textContent = unit.source;
  if (!cells[2].querySelector("textarea")) cells[2].textContent = unit.target;
  cells[3].textContent = unit.state || "—";
  cells[3].className = "state " + (unit.state || "");
  cells[4].textContent = unit.origin || "—";
  flagChips(cells[5], unit);
  row.classList.toggle("locked", !unit.editable);
}

function makeRow(unit) {
  const row = el("div", "row unit");
  row.dataset.n = unit.n;
  row.append(el("span", "num"), el("div", "src"), el("div", "tgt"), el("span", "state"),
    el("span", "origin"), el("span", "flag-cell"));
  fillRow(row, unit);
  row.addEventListener("click", () => activate(unit.n, false));
  return row;
}

function filters() {
  return {
    state: $("f-state").value, check: $("f-check").value, severity: $("f-severity").value,
    origin: $("f-origin").value, terms: $("f-terms").checked,
    search: $("search").value.trim().toLowerCase(),
  };
}

function matches(unit, f) {
  if (f.state === "unconfirmed" ? unit.confirmed : (f.state && unit.state !== f.state)) return false;
  if (f.check && !unit.flags.some((x) => x.check === f.check)) return false;
  if (f.severity === "clean" && unit.flags.length) return false;
  if ((f.severity === "error" || f.severity === "warning")
      && !unit.flags.some((x) => x.severity === f.severity && x.check !== "engine")) return false;
  if (f.origin && unit.origin !== f.origin) return false;
  if (f.terms && !unit.violations) return false;
  if (f.search) {
    const text = (unit.source + "\n" + unit.target).toLowerCase();
    if (!text.includes(f.search)) return false;
  }
  return true;
}

// Filters and sorting work on the data; only one page of rows is in the DOM.
function applyView() {
  const f = filters();
  const order = state.units.slice();
  if ($("sort").value === "risk") {
    order.sort((a, b) => (b.risk ?? -1) - (a.risk ?? -1) || a.n - b.n);
  }
  state.visible = order.filter((unit) => matches(unit, f)).map((unit) => unit.n);
  const at = state.visible.indexOf(state.current);
  state.page = at >= 0 ? Math.floor(at / PAGE) : 0;
  renderPage();
}

function pages() {
  return Math.max(1, Math.ceil(state.visible.length / PAGE));
}

function renderPage() {
  closeEditor();
  const shown = state.visible.slice(state.page * PAGE, (state.page + 1) * PAGE);
  const fragment = document.createDocumentFragment();
  state.rowEl.clear();
  for (const n of shown) {
    const row = makeRow(state.byN.get(n));
    state.rowEl.set(n, row);
    fragment.append(row);
  }
  $("rows").replaceChildren(fragment);
  $("count").textContent = `${state.visible.length} of ${state.units.length} segments`;
  $("page").textContent = `page ${state.page + 1} of ${pages()}`;
  $("prev-page").disabled = state.page === 0;
  $("next-page").disabled = state.page >= pages() - 1;
  if (state.rowEl.has(state.current)) openEditor(state.current);
}

function turnPage(step) {
  const page = Math.min(pages() - 1, Math.max(0, state.page + step));
  if (page === state.page) return;
  state.page = page;
  renderPage();
  $("grid").scrollTop = 0;
  const first = state.visible[state.page * PAGE];
  if (first !== undefined) activate(first);
}

function fillSelect(select, values) {
  for (const value of values) select.append(new Option(value, value));
}

// ------------------------------------------------------------------ editor

function editor() {
  const row = state.rowEl.get(state.current);
  return row ? row.querySelector("textarea") : null;
}

function closeEditor() {
  const area = editor();
  if (!area) return;
  const unit = state.byN.get(state.current);
  if (area.value !== unit.target) state.edits.set(unit.n, area.value);
  else state.edits.delete(unit.n);
  area.parentElement.textContent = state.edits.get(unit.n) ?? unit.target;
  state.rowEl.get(unit.n).classList.remove("active");
}

function openEditor(n) {
  const unit = state.byN.get(n);
  const row = state.rowEl.get(n);
  row.classList.add("active");
  if (!unit.editable) return null;
  const area = el("textarea");
  area.value = state.edits.get(n) ?? unit.target;
  area.setAttribute("aria-label", `Target of segment ${n}`);
  area.spellcheck = true;
  row.children[2].replaceChildren(area);
  return area;
}

function activate(n, scroll = true) {
  if (state.current === n && editor()) return;
  closeEditor();
  const at = state.visible.indexOf(n);
  if (!state.byN.has(n) || at < 0) return;
  state.current = n;
  if (Math.floor(at / PAGE) !== state.page) {
    state.page = Math.floor(at / PAGE);
    renderPage();
  }
  const row = state.rowEl.get(n);
  const area = editor() || openEditor(n);
  if (area) area.focus({ preventScroll: true });
  if (scroll) row.scrollIntoView({ block: "nearest" });
  loadDetail(n);
}

function move(step) {
  const list = state.visible;
  if (!list.length) return;
  const at = list.indexOf(state.current);
  const next = at < 0 ? 0 : Math.min(list.length - 1, Math.max(0, at + step));
  activate(list[next]);
}

function nextUnconfirmed() {
  const list = state.visible;
  const at = list.indexOf(state.current);
  for (let i = 1; i <= list.length; i++) {
    const n = list[(at + i) % list.length];
    const unit = state.byN.get(n);
    if (unit.editable && !unit.confirmed && n !== state.current) return n;
  }
  return null;
}

function revert() {
  const area = editor();
  if (!area) return;
  const unit = state.byN.get(state.current);
  area.value = unit.target;
  state.edits.delete(unit.n);
  status(`Segment ${unit.n}: edit reverted`);
}

function updateUnit(data) {
  const unit = state.byN.get(data.n);
  Object.assign(unit, data);
  const row = state.rowEl.get(data.n);
  if (row) fillRow(row, unit);
  return unit;
}

async function save(targetState) {
  const area = editor();
  const unit = state.byN.get(state.current);
  if (!area || !unit || state.saving) return;
  const text = area.value;
  const settled = unit.state === targetState || (targetState === "translated" && unit.confirmed);
  if (text === unit.target && settled) {  // nothing to store (an approved unit stays approved)
    if (!warnErrors(unit, targetState)) moveOn(unit);
    return;
  }
  state.saving = true;
  let response;
  try {
    response = await api(`/api/units/${unit.n}`, {
      method: "POST", body: { target: text, state: targetState, version: unit.version },
    });
  } finally {
    state.saving = false;
  }
  if (response.status === 409) { showConflict(unit, response.data, targetState); return; }
  if (!response.ok) { status(`Segment ${unit.n}: ${response.data.error}`, true); return; }
  state.edits.delete(unit.n);
  const saved = updateUnit(response.data.unit);
  if (editor() === area) area.value = saved.target;
  showQa(saved);
  if (warnErrors(saved, targetState)) return;
  status(`Segment ${saved.n} saved as ${saved.state} by ${saved.changed_by}`);
  moveOn(saved);
}

// QA errors hold the reviewer on the segment once per text; the same key again moves on.
function warnErrors(unit, targetState) {
  const errors = unit.flags.filter((f) => f.severity === "error" && f.check !== "engine");
  const key = `${unit.target}\u0000${targetState}`;
  if (!errors.length || state.warned.get(unit.n) === key) {
    state.warned.delete(unit.n);
    return false;
  }
  state.warned.set(unit.n, key);
  status(`Segment ${unit.n} is ${unit.state || "unsaved"} with ${errors.length} QA error(s): `
    + "fix it, or press the key again to move on", true);
  showQa(unit);
  loadDetail(unit.n);
  return true;
}

function moveOn(unit) {
  const next = nextUnconfirmed();  // in the order the reviewer saw
  applyView();
  if (next !== null && state.visible.includes(next)) activate(next);
  else loadDetail(unit.n);
}

// ------------------------------------------------------------------ conflict

let conflict = null;

function showConflict(unit, data, targetState) {
  conflict = { unit, data, targetState };
  $("conflict-msg").textContent = `Segment ${unit.n} was saved by ${data.theirs.changed_by || "someone"}`
    + ` at ${data.theirs.changed_at || "?"} (version ${data.theirs.version}). Nothing was overwritten.`;
  $("conflict-yours").textContent = data.yours;
  $("conflict-theirs").textContent = data.theirs.target;
  $("conflict").hidden = false;
  $("keep-theirs").focus();
  status(`Segment ${unit.n}: conflict`, true);
}

function closeConflict(keepMine) {
  if (!conflict) return;
  const { unit, data, targetState } = conflict;
  conflict = null;
  $("conflict").hidden = true;
  updateUnit(data.theirs);
  const area = editor();
  if (area && state.current === unit.n) {
    area.value = keepMine ? data.yours : data.theirs.target;
    area.focus();
  }
  if (keepMine) { save(targetState); return; }
  state.edits.delete(unit.n);
  status(`Segment ${unit.n}: kept their text`);
  loadDetail(unit.n);
}

// ------------------------------------------------------------------ side panel

function showQa(unit) {
  const list = $("qa");
  list.replaceChildren();
  if (!unit.flags.length) list.append(el("li", "clean", "no QA findings"));
  for (const f of unit.flags) {
    const severity = f.check === "engine" ? "info" : f.severity;
    list.append(el("li", severity, `${f.check} (${severity}): ${f.message}`));
  }
}

function diffNodes(ops) {
  const out = document.createDocumentFragment();
  for (const [op, text] of ops) {
    out.append(op === "=" ? document.createTextNode(text) : el(op === "-" ? "del" : "ins", "", text));
  }
  return out;
}

function historyText(entry) {
  const parts = [];
  for (const [key, value] of Object.entries(entry)) {
    if (value === null || value === "" || key === "id" || key === "unit_id") continue;
    parts.push(`${key}: ${value}`);
  }
  return parts.join(" · ");
}

async function loadDetail(n) {
  const seq = ++state.detailSeq;
  const response = await api(`/api/units/${n}`);
  if (seq !== state.detailSeq) return;
  if (!response.ok) { status(`Segment ${n}: ${response.data.error}`, true); return; }
  const d = response.data;
  updateUnit(d.unit);
  $("p-n").textContent = String(n);
  $("p-meta").textContent = [d.unit.tuid, d.unit.kind, d.unit.origin, d.engine,
    d.unit.changed_by && `last change ${d.unit.changed_by} ${d.unit.changed_at}`]
    .filter(Boolean).join(" · ");
  showQa(d.unit);
  const terms = $("terms");
  terms.replaceChildren();
  if (!d.terms.length) terms.append(el("li", "meta", "no glossary terms"));
  for (const t of d.terms) {
    const item = el("li", "term " + t.status);
    item.append(el("span", "", `${t.source} → ${t.target}`));
    if (t.variants.length) item.append(el("span", "meta", ` (also ${t.variants.join(", ")})`));
    if (t.forbidden.length) item.append(el("div", "meta", `forbidden: ${t.forbidden.join(", ")}`));
    if (t.status !== "met") item.append(el("div", "", t.status === "forbidden"
      ? `forbidden rendering used: ${t.found}` : "required rendering missing"));
    if (t.note) item.append(el("div", "meta", t.note));
    terms.append(item);
  }
  const found = $("matches");
  found.replaceChildren();
  if (!d.matches.length) found.append(el("li", "meta", "no TM matches"));
  for (const m of d.matches) {
    const item = el("li");
    item.append(el("div", "meta", `${m.score} % ${m.kind} · ${m.origin}`));
    const source = el("div", "text");
    source.append(diffNodes(m.diff));
    item.append(source, el("div", "text", m.target));
    if (m.differences.length) item.append(el("div", "meta", m.differences.join("; ")));
    found.append(item);
  }
  $("mt").textContent = d.mt || "—";
  const history = $("history");
  history.replaceChildren();
  if (!d.history.length) history.append(el("li", "meta", "no edits yet"));
  for (const entry of d.history) history.append(el("li", "text", historyText(entry)));
}

async function concordance(event) {
  event.preventDefault();
  const q = $("conc-q").value.trim();
  if (!q) return;
  const side = $("conc-side").value;
  const response = await api(`/api/concordance?q=${encodeURIComponent(q)}&side=${side}`);
  const list = $("conc");
  list.replaceChildren();
  if (!response.ok) { list.append(el("li", "meta", response.data.error)); return; }
  if (!response.data.hits.length) list.append(el("li", "meta", "nothing found"));
  for (const hit of response.data.hits) {
    const item = el("li");
    item.append(el("div", "text", hit.source), el("div", "text", hit.target));
    const about = [hit.origin, hit.state, hit.doc_id || hit.tuid].filter(Boolean).join(" · ");
    if (about) item.append(el("div", "meta", about));
    list.append(item);
  }
}

async function exportRun() {
  status("Exporting…");
  const response = await api("/api/export", { method: "POST", body: { xliff: $("export-xliff").checked } });
  if (!response.ok) { status(`Export failed: ${response.data.error}`, true); return; }
  status(`Exported: ${response.data.written.join(", ")}`);
}

// ------------------------------------------------------------------ keys

function typing(target) {
  return target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement
    || target instanceof HTMLSelectElement;
}

function onKey(event) {
  if (conflict) {
    if (event.key === "Escape") { event.preventDefault(); closeConflict(false); }
    return;
  }
  const ctrl = event.ctrlKey || event.metaKey;
  if (ctrl && event.key === "Enter") {
    event.preventDefault();
    save(event.shiftKey ? "approved" : "translated");
  } else if (ctrl && event.key === "ArrowDown") {
    event.preventDefault(); move(1);
  } else if (ctrl && event.key === "ArrowUp") {
    event.preventDefault(); move(-1);
  } else if (event.key === "Escape") {
    if (event.target === $("search")) {
      event.preventDefault();
      const area = editor();
      if (area) area.focus();
    } else { event.preventDefault(); revert(); }
  } else if (event.key === "/" && !typing(event.target)) {
    event.preventDefault();
    $("search").focus();
    $("search").select();
  }
}

// ------------------------------------------------------------------ start

function afterPaint(name) {  // a performance mark once the current frame is painted
  requestAnimationFrame(() => setTimeout(() => performance.mark(name), 0));
}

async function start() {
  const response = await api("/api/units");
  if (!response.ok) { status(`Cannot load the run: ${response.data.error}`, true); return; }
  const data = response.data;
  state.doc = data;
  state.units = data.units;
  for (const unit of data.units) state.byN.set(unit.n, unit);
  $("doc").textContent = `${data.doc_id} · ${data.reviewer}`;
  document.title = `${data.doc_id} · tmpipe review`;
  fillSelect($("f-state"), data.states);
  fillSelect($("f-check"), data.checks);
  fillSelect($("f-origin"), data.origins);
  $("sort").querySelector('option[value="risk"]').disabled = !data.has_risk;
  if (data.has_risk) $("sort").value = "risk";
  applyView();
  if (state.visible.length) activate(state.visible[0], false);
  document.body.dataset.ready = "all";
  afterPaint("tmpipe-first-rows");
  status(`${data.units.length} segments loaded`);
}

for (const id of ["f-state", "f-check", "f-severity", "f-origin", "f-terms", "sort"]) {
  $(id).addEventListener("change", applyView);
}
$("search").addEventListener("input", applyView);
$("prev-page").addEventListener("click", () => turnPage(-1));
$("next-page").addEventListener("click", () => turnPage(1));
$("conc-form").addEventListener("submit", concordance);
$("export").addEventListener("click", exportRun);
$("keep-theirs").addEventListener("click", () => closeConflict(false));
$("use-mine").addEventListener("click", () => closeConflict(true));
document.addEventListener("keydown", onKey);
start();
