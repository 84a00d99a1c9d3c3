"""The page's stylesheet and script, inlined into every view (no network, works from disk).

The script builds every element with ``createElement`` / ``textContent`` and never assigns HTML, so text
from trajectories is shown, never parsed. It renders only the visible rows of the task list and the one
selected task, which keeps a view of 10,000 trajectories quick to open.
"""

CSS = r"""
:root { --ok: #1a7f37; --bad: #cf222e; --warn: #9a6700; --mute: #57606a; --line: #d0d7de;
  --bg2: #f6f8fa; --sel: #ddf4ff; --row: 26px; }
* { box-sizing: border-box; }
body { margin: 0; font: 13px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2328;
  display: flex; flex-direction: column; height: 100vh; overflow: hidden; }
header { padding: 6px 12px; border-bottom: 1px solid var(--line); background: var(--bg2); }
header h1 { font-size: 15px; margin: 0 0 4px; }
.cards { display: flex; gap: 10px; flex-wrap: wrap; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 4px 8px; background: #fff;
  flex: 1 1 0; min-width: 300px; max-width: 760px; }
.card b.label { display: block; }
.stat { margin-right: 10px; white-space: nowrap; display: inline-block; }
.chip { display: inline-block; border: 1px solid var(--line); border-radius: 10px; padding: 0 6px;
  margin: 1px 2px; cursor: pointer; background: #fff; font-size: 12px; }
.chip.bad { border-color: var(--bad); color: var(--bad); }
.tools { display: flex; gap: 8px; align-items: center; padding: 4px 12px; border-bottom: 1px solid var(--line); }
.tools input { width: 260px; }
.count { color: var(--mute); margin-left: auto; }
main { flex: 1; display: flex; min-height: 0; }
#list { width: 38%; min-width: 280px; overflow-y: auto; position: relative; border-right: 1px solid var(--line); }
#spacer { position: relative; }
.row { position: absolute; left: 0; right: 0; height: var(--row); padding: 3px 8px; white-space: nowrap;
  overflow: hidden; text-overflow: ellipsis; cursor: pointer; border-bottom: 1px solid #eee; }
.row.sel { background: var(--sel); }
.row .id { color: var(--mute); margin-right: 6px; }
.row .tag { color: var(--warn); margin-left: 6px; font-size: 11px; }
.mark { display: inline-block; width: 16px; text-align: center; font-weight: bold; }
.m-ok { color: var(--ok); } .m-bad { color: var(--bad); } .m-fail { color: var(--warn); }
.m-none, .m-miss { color: var(--mute); }
#detail { flex: 1; overflow-y: auto; padding: 8px 14px; }
.cols { display: grid; gap: 12px; }
.col { min-width: 0; }
.col > h3 { margin: 0 0 4px; font-size: 13px; background: var(--bg2); padding: 2px 6px; border-radius: 4px; }
.task h2 { font-size: 14px; margin: 4px 0; }
.badge { border-radius: 4px; padding: 0 6px; color: #fff; font-size: 12px; margin-left: 6px; }
.b-ok { background: var(--ok); } .b-bad { background: var(--bad); } .b-none { background: var(--mute); }
.b-fail { background: var(--warn); }
.q { white-space: pre-wrap; background: var(--bg2); padding: 6px; border-radius: 4px; }
table.kv { border-collapse: collapse; margin: 4px 0; }
table.kv td { border-bottom: 1px solid #eee; padding: 1px 8px 1px 0; vertical-align: top; }
table.kv td:first-child { color: var(--mute); white-space: nowrap; }
pre { white-space: pre-wrap; word-break: break-word; margin: 2px 0; font: 12px/1.4 ui-monospace, monospace;
  background: var(--bg2); padding: 4px; border-radius: 4px; }
code { font: 12px ui-monospace, monospace; }
.step { border: 1px solid var(--line); border-left: 4px solid var(--ok); border-radius: 4px; margin: 6px 0;
  padding: 4px 8px; }
.step.bad { border-left-color: var(--bad); }
.step h4 { margin: 0 0 2px; font-size: 13px; }
.sub { font-weight: 600; }
.res { margin: 2px 0; }
.error { color: var(--bad); background: #ffebe9; border: 1px solid #ffc1ba; border-radius: 4px; padding: 2px 6px;
  margin: 2px 0; white-space: pre-wrap; }
table.calls, table.cands { border-collapse: collapse; width: 100%; margin: 4px 0; }
table.calls td, table.calls th, table.cands td, table.cands th { border: 1px solid #eee; padding: 1px 4px;
  vertical-align: top; text-align: left; font-size: 12px; }
tr.chosen { background: #dafbe1; }
th.wide { width: 100%; }
.nowrap { white-space: nowrap; }
img.shot { max-width: 100%; border: 1px solid var(--line); margin: 4px 0; }
.help { color: var(--mute); font-size: 11px; }
.empty { color: var(--mute); padding: 12px; }
"""

# The first script: collect errors before anything else runs (tests read window.__lumosErrors).
ERRORS_JS = r"""
window.__lumosErrors = [];
window.addEventListener("error", function (e) { window.__lumosErrors.push(String(e.message || e)); });
window.addEventListener("unhandledrejection", function (e) { window.__lumosErrors.push(String(e.reason)); });
"""

JS = r"""
(function () {
"use strict";
var D = JSON.parse(document.getElementById("lumos-data").textContent);
var runs = D.runs, chunks = D.chunks || [], images = D.images || {};
var compare = runs.length > 1;
var rows = D.rows || runs[0].tasks.map(function (_, i) { return [i]; });
var ROW = 26;
var visible = [], sel = 0, hay = null, searchTimer = null;
var $ = function (id) { return document.getElementById(id); };

function add(el, kid) {
  if (kid === null || kid === undefined || kid === false) return el;
  if (Array.isArray(kid)) { kid.forEach(function (k) { add(el, k); }); return el; }
  if (typeof kid === "object" && kid.nodeType) { el.appendChild(kid); return el; }
  el.appendChild(document.createTextNode(String(kid)));
  return el;
}
function h(tag, cls, kids) {
  var el = document.createElement(tag);
  if (cls) el.className = cls;
  return add(el, kids);
}
function str(v) {
  if (v === null || v === undefined) return "-";
  return typeof v === "string" ? v : JSON.stringify(v);
}
function num(v, d) { return typeof v === "number" ? (Math.round(v * Math.pow(10, d)) / Math.pow(10, d)) : "-"; }
function secs(s) { return s < 1 ? num(1000 * s, 1) + " ms" : num(s, 2) + " s"; }
function tasksOf(row) {
  return row.map(function (i, r) { return i >= 0 ? runs[r].tasks[i] : null; });
}
function status(t) {
  if (!t) return "miss";
  if (t.fail && t.ok !== true) return "fail";
  return t.ok === true ? "ok" : t.ok === false ? "bad" : "none";
}
var MARK = { ok: "\u2713", bad: "\u2717", fail: "!", none: "\u00b7", miss: "\u2013" };
var TITLE = { ok: "correct", bad: "wrong", fail: "failed", none: "not scored", miss: "not in this run" };

// ---- filters -------------------------------------------------------------------------------------------
function options(select, values, all) {
  add(select, h("option", null, all)).lastChild.value = "";
  values.forEach(function (v) { var o = h("option", null, v[0] + " (" + v[1] + ")"); o.value = v[0]; add(select, o); });
}
function counted(key) {
  var c = {};
  runs.forEach(function (r) { r.tasks.forEach(function (t) { var v = t[key]; if (v) c[v] = (c[v] || 0) + 1; }); });
  return Object.keys(c).sort(function (a, b) { return c[b] - c[a]; }).map(function (k) { return [k, c[k]]; });
}
function text(t) {
  var parts = [t.id, t.q, str(t.gold), str(t.pred), t.out, t.err, t.fail, t.stop];
  (t.steps || []).forEach(function (s) {
    parts = parts.concat(s.sub || [], s.act || []);
    (s.res || []).forEach(function (r) { parts.push(r.a, JSON.stringify(r.out || {}), r.err ? r.err.message : ""); });
    (s.calls || []).forEach(function (c) { parts.push(c.out); });
    if (s.err) parts.push(s.err.message);
  });
  return parts.join("\n").toLowerCase();
}
function matches(row, f) {
  var ts = tasksOf(row);
  var present = ts.filter(Boolean);
  if (f.status) {
    if (!present.some(function (t) {
      var s = status(t);
      return f.status === "failed" ? !!t.fail : f.status === "correct" ? t.ok === true :
        f.status === "wrong" ? t.ok === false : s === "none";
    })) return false;
  }
  if (f.stop && !present.some(function (t) { return t.stop === f.stop; })) return false;
  if (f.kind && !present.some(function (t) { return t.fail === f.kind; })) return false;
  if (f.cmp) {
    var oks = ts.map(function (t) { return t ? t.ok : undefined; });
    var ok = function (k) { return oks[k] === true; };
    var differ = oks.indexOf(true) >= 0 && oks.indexOf(false) >= 0;
    if (f.cmp === "differ" && !differ) return false;
    if (f.cmp === "a" && !(ok(0) && oks.slice(1).indexOf(true) < 0)) return false;
    if (f.cmp === "b" && !(ok(1) && !ok(0))) return false;
    if (f.cmp === "same" && differ) return false;
    if (f.cmp === "missing" && ts.indexOf(null) < 0) return false;
  }
  if (f.terms.length) {
    if (!hay) hay = runs.map(function (r) { return r.tasks.map(text); });
    var hit = row.some(function (i, r) {
      if (i < 0) return false;
      var s = hay[r][i];
      return f.terms.every(function (w) { return s.indexOf(w) >= 0; });
    });
    if (!hit) return false;
  }
  return true;
}
function applyFilters() {
  var f = { status: $("f-status").value, stop: $("f-stop").value, kind: $("f-kind").value,
    cmp: compare ? $("f-cmp").value : "",
    terms: $("search").value.toLowerCase().split(/\s+/).filter(Boolean) };
  visible = [];
  for (var i = 0; i < rows.length; i++) if (matches(rows[i], f)) visible.push(i);
  $("count").textContent = visible.length + " of " + rows.length + (compare ? " aligned examples" : " tasks");
  $("spacer").style.height = (visible.length * ROW) + "px";
  $("list").scrollTop = 0;
  select(0);
  drawList();
}

// ---- list ----------------------------------------------------------------------------------------------
function drawList() {
  var list = $("list"), spacer = $("spacer");
  var first = Math.max(0, Math.floor(list.scrollTop / ROW) - 5);
  var last = Math.min(visible.length, first + Math.ceil(list.clientHeight / ROW) + 10);
  spacer.textContent = "";
  if (!visible.length) { add(spacer, h("div", "empty", "No task matches the filters.")); return; }
  for (var k = first; k < last; k++) {
    var ts = tasksOf(rows[visible[k]]);
    var lead = ts.filter(Boolean)[0];
    var row = h("div", "row" + (k === sel ? " sel" : ""));
    row.style.top = (k * ROW) + "px";
    row.dataset.pos = k;
    ts.forEach(function (t) { var s = status(t); var m = h("span", "mark m-" + s, MARK[s]); m.title = TITLE[s]; add(row, m); });
    add(row, [h("span", "id", lead.id), lead.q.slice(0, 160)]);
    var tag = ts.map(function (t) { return t && (t.fail || ""); }).filter(Boolean)[0];
    if (tag) add(row, h("span", "tag", tag));
    spacer.appendChild(row);
  }
}
function select(pos) {
  if (!visible.length) { $("detail").textContent = ""; return; }
  sel = Math.max(0, Math.min(visible.length - 1, pos));
  var list = $("list");
  if (sel * ROW < list.scrollTop) list.scrollTop = sel * ROW;
  else if ((sel + 1) * ROW > list.scrollTop + list.clientHeight) list.scrollTop = (sel + 1) * ROW - list.clientHeight;
  drawList();
  drawDetail(rows[visible[sel]]);
  var id = tasksOf(rows[visible[sel]]).filter(Boolean)[0].id;
  try { history.replaceState(null, "", "#" + encodeURIComponent(id)); } catch (err) { /* a sandboxed frame */ }
}
function selectId(id) {
  for (var k = 0; k < visible.length; k++) {
    if (tasksOf(rows[visible[k]]).some(function (t) { return t && t.id === id; })) { select(k); return true; }
  }
  return false;
}

// ---- one task ------------------------------------------------------------------------------------------
function kv(obj) {
  var t = h("table", "kv");
  Object.keys(obj).forEach(function (k) {
    var v = obj[k];
    var cell = typeof v === "object" && v !== null ? h("pre", null, JSON.stringify(v, null, 1)) : str(v);
    add(t, h("tr", null, [h("td", null, k), h("td", null, cell)]));
  });
  return t;
}
function promptText(p) {
  var joined = function (ids) { return ids.map(function (i) { return chunks[i]; }).join("\n\n"); };
  if (p.length && Array.isArray(p[0])) return p.map(function (m) { return "[" + m[0] + "]\n" + joined(m[1]); }).join("\n\n");
  return joined(p);
}
function callsTable(calls) {
  var head = h("th", null, "tokens");
  head.title = "prompt tokens / completion tokens";
  var t = h("table", "calls", h("tr", null, [h("th", null, "call"), head, h("th", null, "time"),
    h("th", "wide", "output")]));
  calls.forEach(function (c) {
    var out = [h("pre", null, c.out || "")];
    if (c.prompt) {
      var d = h("details", null, h("summary", null, "prompt"));
      d.addEventListener("toggle", function () {
        if (d.open && d.childNodes.length === 1) add(d, h("pre", null, promptText(c.prompt)));
      });
      out.push(d);
    }
    if (c.extra) out.push(kv(c.extra));
    add(t, h("tr", null, [h("td", null, c.m), h("td", "nowrap", c.pt + " / " + c.ct),
      h("td", "nowrap", secs(c.s || 0)), h("td", null, out)]));
  });
  return t;
}
function errorBox(e) { return h("div", "error", (e.kind || "error") + (e.module ? " (" + e.module + ")" : "") + ": " + (e.message || "")); }
function details(d) {
  var out = [], rest = {};
  Object.keys(d).forEach(function (k) { if (["candidates", "chosen", "observation", "screenshot"].indexOf(k) < 0) rest[k] = d[k]; });
  if (Array.isArray(d.candidates) && d.candidates.length) {
    var t = h("table", "cands", h("tr", null, [h("th", null, "ref"), h("th", null, "candidate"), h("th", null, "score")]));
    d.candidates.forEach(function (c) {
      var chosen = d.chosen !== undefined && c && (c.ref === d.chosen || (d.chosen && d.chosen.ref === c.ref));
      add(t, h("tr", chosen ? "chosen" : null, [h("td", null, str(c && c.ref)), h("td", null, str(c && c.text)),
        h("td", null, c && typeof c.score === "number" ? num(c.score, 3) : str(c && c.score))]));
    });
    out.push(h("details", null, [h("summary", null, d.candidates.length + " candidate elements"), t]));
  }
  if (d.chosen !== undefined) out.push(h("div", null, ["chosen: ", h("code", null, str(d.chosen))]));
  if (d.observation) out.push(h("details", null, [h("summary", null, "observation"), h("pre", null, str(d.observation))]));
  if (d.screenshot) {
    if (images[d.screenshot]) { var img = h("img", "shot"); img.alt = "screenshot " + d.screenshot; img.src = images[d.screenshot]; out.push(img); }
    else out.push(h("div", "help", "screenshot not found: " + d.screenshot));
  }
  if (Object.keys(rest).length) out.push(kv(rest));
  return out;
}
function stepView(s) {
  var bad = !!s.err || (s.res || []).some(function (r) { return r.err; });
  var box = h("section", "step" + (bad ? " bad" : ""), h("h4", null, "Step " + s.n));
  (s.sub || []).forEach(function (g) { add(box, h("div", "sub", g)); });
  var ran = (s.res || []).map(function (r) { return r.a; });
  var unrun = (s.act || []).filter(function (a) { return ran.indexOf(a) < 0; });
  if (unrun.length) add(box, h("div", null, unrun.map(function (a) { return h("div", null, h("code", null, a)); })));
  (s.res || []).forEach(function (r) {
    var line = h("div", "res", [h("code", null, r.a), " \u2192 "]);
    if (r.err) add(line, errorBox(r.err));
    else add(line, h("code", null, Object.keys(r.out || {}).map(function (k) { return (k ? k + " = " : "") + r.out[k]; }).join(", ") || "-"));
    if (r.s) add(line, h("span", "help", " " + secs(r.s)));
    if (r.d) add(line, details(r.d));
    add(box, line);
  });
  if (s.err && !(s.res || []).some(function (r) { return r.err && r.err.message === s.err.message; })) add(box, errorBox(s.err));
  if (s.calls && s.calls.length) add(box, callsTable(s.calls));
  if (s.extra) add(box, kv(s.extra));
  return box;
}
function taskView(t) {
  var s = status(t);
  var facts = { gold: str(t.gold), prediction: t.pred === null || t.pred === undefined ? "(no answer)" : str(t.pred),
    "stop reason": t.stop || "-" };
  if (t.fail) facts["error kind"] = t.fail;
  if (t.scores) facts.scores = Object.keys(t.scores).map(function (k) { return k + " " + num(t.scores[k], 3); }).join(", ");
  if (t.tok) facts.tokens = t.tok[0] + " prompt, " + t.tok[1] + " completion";
  if (t.secs !== undefined) facts.seconds = num(t.secs, 3);
  if (t.msecs !== undefined) facts["model seconds"] = num(t.msecs, 3);
  if (t.stages && t.stages.length) facts["time by stage"] = t.stages.map(function (p) { return p[0] + " " + num(p[1], 3) + " s"; }).join(", ");
  var box = h("div", "task", [h("h2", null, [t.id, h("span", "badge b-" + s, TITLE[s])]), h("div", "q", t.q), kv(facts)]);
  if (t.err) add(box, errorBox({ kind: t.fail, message: t.err }));
  if (t.out) add(box, h("details", null, [h("summary", null, "model output"), h("pre", null, t.out)]));
  if (t.shots && t.shots.length) {
    add(box, h("div", "help", "screenshots of the task not tied to a step:"));
    t.shots.forEach(function (k) { add(box, details({ screenshot: k })); });
  }
  if (t.extra) add(box, h("details", null, [h("summary", null, "other fields"), kv(t.extra)]));
  if (t.meta) add(box, h("details", null, [h("summary", null, "task facts (meta)"), kv(t.meta)]));
  var steps = t.steps || [];
  add(box, h("div", "help", steps.length + " step" + (steps.length === 1 ? "" : "s")));
  steps.forEach(function (st) { add(box, stepView(st)); });
  return box;
}
function drawDetail(row) {
  var pane = $("detail");
  pane.textContent = "";
  pane.scrollTop = 0;
  var ts = tasksOf(row);
  if (!compare) { add(pane, taskView(ts[0])); return; }
  var cols = h("div", "cols");
  cols.style.gridTemplateColumns = "repeat(" + runs.length + ", minmax(0, 1fr))";
  ts.forEach(function (t, r) {
    add(cols, h("div", "col", [h("h3", null, runs[r].label), t ? taskView(t) : h("div", "empty", "not in this run")]));
  });
  add(pane, cols);
}

// ---- summary and start-up ------------------------------------------------------------------------------
function setFilter(id, value) { $(id).value = value; applyFilters(); }
function card(run) {
  var m = run.summary;
  var c = h("div", "card", h("b", "label", run.label));
  var stats = [["tasks", m.n], ["correct", m.correct], ["wrong", m.wrong], ["failed", m.failed]];
  if (m.unscored) stats.push(["not scored", m.unscored]);
  Object.keys(m.scores || {}).forEach(function (k) {
    stats.push([k + (k === m.primary ? " (primary)" : ""), num(100 * m.scores[k], 1) + "%"]);
  });
  if (m.examples_per_second !== null && m.examples_per_second !== undefined) stats.push(["examples/s", m.examples_per_second]);
  if (m.tokens[0] || m.tokens[1]) stats.push(["tokens", m.tokens[0] + " / " + m.tokens[1]]);
  add(c, h("div", null, stats.map(function (s) { return h("span", "stat", [s[0] + ": ", h("b", null, String(s[1]))]); })));
  var chips = function (title, counts, id, cls) {
    var keys = Object.keys(counts || {});
    if (!keys.length) return null;
    return h("div", null, [title + ": "].concat(keys.map(function (k) {
      var chip = h("span", "chip " + cls, k + " " + counts[k]);
      chip.addEventListener("click", function () { setFilter(id, k === "-" ? "" : k); });
      return chip;
    })));
  };
  var common = Object.keys(run.common || {});
  if (common.length) {
    add(c, h("div", null, ["every task: "].concat(common.map(function (k) {
      return h("span", "stat", k + " " + str(run.common[k]));
    }))));
  }
  add(c, chips("failures", m.failures, "f-kind", "bad"));
  add(c, chips("stop reasons", m.stops, "f-stop", ""));
  var where = h("span", "help", run.kind + ": " + run.path);
  if (run.config && Object.keys(run.config).length) add(c, h("details", null, [h("summary", null, where), kv(run.config)]));
  else add(c, h("div", null, where));
  return c;
}
function start() {
  document.title = D.title;
  add($("cards"), runs.map(card));
  options($("f-status"), [], "all results");
  [["correct", "correct"], ["wrong", "wrong"], ["failed", "failed"], ["unscored", "not scored"]].forEach(function (o) {
    var opt = h("option", null, o[1]); opt.value = o[0]; add($("f-status"), opt);
  });
  options($("f-stop"), counted("stop"), "any stop reason");
  options($("f-kind"), counted("fail"), "any error kind");
  if (compare) {
    var cmp = $("f-cmp");
    cmp.hidden = false;
    [["", "all examples"], ["differ", "one right, one wrong"], ["a", "only " + runs[0].label + " right"],
      ["b", "only " + runs[1].label + " right"], ["same", "same outcome"], ["missing", "missing from a run"]]
      .forEach(function (o) { var opt = h("option", null, o[1]); opt.value = o[0]; add(cmp, opt); });
  }
  ["f-status", "f-stop", "f-kind", "f-cmp"].forEach(function (id) {  // blur: the list's keys work at once
    $(id).addEventListener("change", function (e) { e.target.blur(); applyFilters(); });
  });
  $("search").addEventListener("input", function () { clearTimeout(searchTimer); searchTimer = setTimeout(applyFilters, 120); });
  $("list").addEventListener("scroll", drawList);
  $("list").addEventListener("click", function (e) {
    var row = e.target.closest(".row");
    if (row) select(Number(row.dataset.pos));
  });
  window.addEventListener("resize", drawList);
  document.addEventListener("keydown", function (e) {
    var tag = e.target.tagName;
    if (tag === "INPUT" || tag === "SELECT") {
      if (e.key === "Escape") { if (tag === "INPUT") { e.target.value = ""; applyFilters(); } e.target.blur(); }
      else if (e.key === "Enter" && tag === "INPUT") { clearTimeout(searchTimer); applyFilters(); e.target.blur(); }
      return;
    }
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    var page = Math.max(1, Math.floor($("list").clientHeight / ROW) - 1);
    var moves = { j: 1, ArrowDown: 1, k: -1, ArrowUp: -1, PageDown: page, PageUp: -page };
    if (moves[e.key] !== undefined) { select(sel + moves[e.key]); e.preventDefault(); }
    else if (e.key === "Home" || e.key === "g") { select(0); e.preventDefault(); }
    else if (e.key === "End" || e.key === "G") { select(visible.length - 1); e.preventDefault(); }
    else if (e.key === "/") { $("search").focus(); e.preventDefault(); }
  });
  var wanted = decodeURIComponent(location.hash.slice(1));
  applyFilters();
  if (wanted) selectId(wanted);  // a link to one task: view.html#ID
  window.__lumosReady = performance.now();
  document.body.setAttribute("data-ready", "1");
}
start();
})();
"""
