(function () {
  "use strict";
  var tbody = document.querySelector("#results tbody");
  var rows = Array.prototype.slice.call(tbody.querySelectorAll("tr.row"));
  var fs = document.getElementById("f-status"), fv = document.getElementById("f-verdict"), ft = document.getElementById("f-text");
  var shown = document.getElementById("shown");
  var queue = [], records = 0, STEP = 1000;  // rows not in the table yet: this page's records (the first
  // `records` of the queue), then a loaded JSON report's results
  function ev(row) { return row.nextElementSibling; }
  function apply() {
    var s = fs.value, v = fv.value, t = ft.value.trim().toLowerCase(), n = 0;
    rows.forEach(function (r) {
      var ok = (!s || r.dataset.status === s) && (!v || r.dataset.verdict === v) && (!t || r.textContent.toLowerCase().indexOf(t) >= 0);
      r.hidden = !ok;
      if (!ok) { ev(r).hidden = true; r.setAttribute("aria-expanded", "false"); }
      if (ok) n++;
    });
    shown.textContent = n + " of " + rows.length + " shown" + (queue.length ? " · " + queue.length + " more not in the table yet" : "");
  }
  function toggle(r) {
    var open = r.getAttribute("aria-expanded") === "true";
    r.setAttribute("aria-expanded", open ? "false" : "true");
    ev(r).hidden = open;
  }
  function wire(r) {
    r.addEventListener("click", function (e) { if (e.target.tagName !== "A" && !e.target.closest("details")) toggle(r); });
    r.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); toggle(r); } });
  }
  rows.forEach(wire);
  document.querySelectorAll("#results th").forEach(function (th) {
    th.addEventListener("click", function () {
      var col = +th.dataset.col, dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
      document.querySelectorAll("#results th").forEach(function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
      rows.sort(function (a, b) {
        var x = a.cells[col].dataset.sort || a.cells[col].textContent, y = b.cells[col].dataset.sort || b.cells[col].textContent;
        return x.localeCompare(y, undefined, {numeric: true}) * dir;
      });
      rows.forEach(function (r) { var e = ev(r); tbody.appendChild(r); tbody.appendChild(e); });
    });
  });

  // A large report: records (html_large.py) and a loaded JSON report's results become rows.
  // Every value goes in as text (textContent), never as markup; only http(s) addresses become links.
  var data = document.getElementById("more-rows");
  var spec = {columns: [], shared: [], strings: [], classes: {status: {}, verdict: {}, quote: {}, drift: {}}, drift_labels: {}};
  if (data) { spec = JSON.parse(data.textContent); queue = spec.rows; records = queue.length; }
  function deref(list) {  // inside a record's lists every number is a shared string
    return list.map(function (v) { return Array.isArray(v) ? deref(v) : typeof v === "number" ? spec.strings[v] : v; });
  }
  function named(rec) {
    var o = {};
    spec.columns.forEach(function (c, i) {
      var v = rec[i];
      o[c] = Array.isArray(v) ? deref(v) : typeof v === "number" && spec.shared.indexOf(c) >= 0 ? spec.strings[v] : v;
    });
    return o;
  }
  function match(m) {
    return m ? [m.verdict, "", m.detail || "", m.cited || "", m.found || "", m.suggestion || ""] : 0;
  }
  function fromReport(r) {  // a result of the JSON report, as a named record
    return {
      id: r.id, publisher: r.publisher, title: r.title, link_text: r.link_text, status: r.status || "", flag: "",
      paywalled: r.paywalled, reason: r.reason, page_title: r.page ? r.page.title : "",
      title_match: match(r.title_match), date_match: match(r.date_match), publisher_match: match(r.publisher_match),
      archive: r.archive_url ? [r.archive_date || "snapshot", r.archive_url] : 0,
      quotes: (r.quotes || []).map(function (q) { return [q.verdict, q.text]; }),
      drift: r.drift && r.drift.verdict !== "unknown" ? r.drift.verdict : "",
      url: r.url, final_url: r.final_url && r.final_url !== r.url ? r.final_url : "", check: r.http_status ? "HTTP " + r.http_status : ""
    };
  }
  function el(tag, cls, text) {
    var x = document.createElement(tag);
    if (cls) x.className = cls;
    if (text != null && text !== "") x.textContent = String(text);
    return x;
  }
  function link(text, href) {  // href: an address that may be a link, or [text] to show only
    if (typeof href === "string" && /^https?:\/\//i.test(href)) {
      var a = el("a", "", text); a.href = href; a.rel = "noopener noreferrer"; return a;
    }
    return document.createTextNode(String(text == null ? "" : text));
  }
  function address(v) { return link(Array.isArray(v) ? v[0] : v, v); }
  function badge(kind, m) {  // m: [verdict, score, detail, cited, found, suggestion]
    if (!m) return el("span", "v " + (spec.classes.verdict.unknown || ""), "—");
    var s = el("span", "v " + (spec.classes[kind][m[0]] || ""), m[0] + (m[1] ? " " + m[1] : ""));
    if (m[2]) s.title = m[2];
    return s;
  }
  function cell(tr, label, sort) {
    var td = tr.insertCell();
    if (label) td.dataset.label = label;
    if (sort != null) td.dataset.sort = sort;
    return td;
  }
  function put(parent, parts) {
    parts.forEach(function (p) { parent.appendChild(typeof p === "string" ? document.createTextNode(p) : p); });
    return parent;
  }
  var QUOTE_ORDER = ["not-found", "close", "unverifiable", "found"];
  function quotesCell(td, o) {
    var worst = QUOTE_ORDER.length;
    (o.quotes || []).forEach(function (q) {
      worst = Math.min(worst, QUOTE_ORDER.indexOf(q[0]) < 0 ? worst : QUOTE_ORDER.indexOf(q[0]));
      td.appendChild(put(el("div", "quote"), [el("span", "v " + (spec.classes.quote[q[0]] || ""), q[0]), " “" + q[1] + "”"]));
    });
    if (o.drift) td.appendChild(el("span", "v " + (spec.classes.drift[o.drift] || ""), spec.drift_labels[o.drift] || o.drift));
    td.dataset.sort = String(worst);
  }
  function evidence(o) {
    var dl = el("dl");
    function item(term, parts) { dl.appendChild(el("dt", "", term)); dl.appendChild(put(el("dd"), parts)); }
    if (o.url) item("URL", [address(o.url)]);
    if (o.final_url) item("Final URL", [address(o.final_url)]);
    if (o.check) item("Check", [o.check]);
    [["Title", o.title_match, o.title], ["Date", o.date_match, ""], ["Publisher", o.publisher_match, o.publisher]].forEach(function (p) {
      var m = p[1], cited = m && (m[3] || p[2]);  // a record leaves out a "cited" that is the citation's own
      if (!m || !(cited || m[4])) return;
      var parts = ["cited: “" + (cited || "") + "”", el("br"), "page: “" + (m[4] || "") + "”"];
      if (m[2]) parts.push(" — " + m[2]);
      if (m[5]) parts.push(" — did you mean ", el("b", "", m[5]), "?");
      item(p[0], parts);
    });
    return dl;
  }
  function addRow(o) {
    var tr = document.createElement("tr"), evi = document.createElement("tr");
    tr.className = "row"; tr.tabIndex = 0; tr.setAttribute("aria-expanded", "false");
    tr.dataset.status = o.status || ""; tr.dataset.verdict = o.title_match ? o.title_match[0] : "";
    cell(tr, "", String(o.id).padStart(6, "0")).textContent = o.id;
    cell(tr).textContent = [o.publisher, o.title].filter(Boolean).join(" · ") || (o.link_text ? "“" + o.link_text + "”" : "—");
    var st = cell(tr, "", o.status || "");
    put(st, [el("span", "s " + (spec.classes.status[o.status] || ""), o.status), o.flag || ""]);
    if (o.paywalled) put(st, [" ", el("span", "tag", "paywalled")]);
    st.appendChild(el("div", "reason", o.reason));
    cell(tr, "page title").textContent = o.page_title || "";
    cell(tr, "title", o.title_match ? o.title_match[0] : "").appendChild(badge("verdict", o.title_match));
    cell(tr, "date").appendChild(badge("verdict", o.date_match));
    cell(tr, "publisher").appendChild(badge("verdict", o.publisher_match));
    var arch = cell(tr, "archive");
    if (o.archive) {
      if (o.archive[0]) arch.appendChild(link(o.archive[0], o.archive[1]));
      if (o.archive[2]) arch.appendChild(el("div", "reason", o.archive[2]));
    }
    quotesCell(cell(tr, "quotes"), o);
    evi.className = "evidence"; evi.hidden = true;
    var td = evi.insertCell(); td.colSpan = 9; td.appendChild(evidence(o));
    tbody.appendChild(tr); tbody.appendChild(evi); rows.push(tr); wire(tr);
  }
  var next = document.getElementById("more-next"), all = document.getElementById("more-all");
  var nojs = document.getElementById("more-nojs"), load = document.getElementById("load-json"), more = document.getElementById("more-json");
  var loaded = false;
  function buttons() {
    var left = queue.length;
    if (next) { next.hidden = all.hidden = !left; next.textContent = "show " + Math.min(STEP, left).toLocaleString("en") + " more"; all.textContent = "show all " + left.toLocaleString("en"); }
    if (more) { more.hidden = !(loaded && left); more.textContent = "show " + Math.min(STEP, left).toLocaleString("en") + " more"; }
  }
  function page(n) {
    var taken = queue.splice(0, n);
    records = Math.max(0, records - taken.length);
    taken.forEach(function (x) { addRow(Array.isArray(x) ? named(x) : fromReport(x)); });
    buttons();
    apply();
  }
  if (nojs) nojs.hidden = true;
  if (next) {
    next.addEventListener("click", function () { page(STEP); });
    all.addEventListener("click", function () { page(queue.length); });
  }
  if (load) {
    load.addEventListener("change", function () {
      var file = load.files[0], reader = new FileReader();
      if (!file) return;
      reader.onload = function () {
        var listed = {}, results;
        rows.forEach(function (r) { listed[r.cells[0].textContent] = true; });
        var at = spec.columns.indexOf("id");
        queue.forEach(function (x) { listed[Array.isArray(x) ? x[at] : x.id] = true; });
        try { results = JSON.parse(reader.result).results; results.length; }
        catch (err) { shown.textContent = file.name + ": not a citewatch JSON report"; return; }
        results.forEach(function (r) { if (!listed[r.id]) queue.push(r); });
        loaded = true;
        page(STEP);
      };
      reader.readAsText(file);
    });
    more.addEventListener("click", function () { page(STEP); });
  }
  function filter() {  // a filter looks at every problem: this page's records join the table first
    if (records && (fs.value || fv.value || ft.value.trim())) page(records); else apply();
  }
  [fs, fv].forEach(function (el) { el.addEventListener("change", filter); });
  ft.addEventListener("input", filter);
  buttons();
  apply();
})();
