(function () {
  "use strict";
  var tbody = document.querySelector("#results tbody");
  var rows = Array.prototype.slice.call(tbody.querySelectorAll("tr.row"));
  var fs = document.getElementById("f-status"), fv = document.getElementById("f-verdict"), ft = document.getElementById("f-text");
  var shown = document.getElementById("shown");
  function ev(row) { return row.nextElementSibling; }
  function apply() {
    var s = fs.value, v = fv.value, t = ft.value.trim().toLowerCase(), n = 0;
    rows.forEach(function (r) {
      var ok = (!s || r.dataset.status === s) && (!v || r.dataset.verdict === v) && (!t || r.textContent.toLowerCase().indexOf(t) >= 0);
      r.hidden = !ok;
      if (!ok) { ev(r).hidden = true; r.setAttribute("aria-expanded", "false"); }
      if (ok) n++;
    });
    shown.textContent = n + " of " + rows.length + " shown";
  }
  function toggle(r) {
    var open = r.getAttribute("aria-expanded") === "true";
    r.setAttribute("aria-expanded", open ? "false" : "true");
    ev(r).hidden = open;
  }
  rows.forEach(function (r) {
    r.addEventListener("click", function (e) { if (e.target.tagName !== "A" && !e.target.closest("details")) toggle(r); });
    r.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); toggle(r); } });
  });
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
  // a large report lists what is worth a look; the rest comes from its JSON, on demand
  var load = document.getElementById("load-json"), more = document.getElementById("more-json"), queue = [];
  function cell(tr, text, cls) {
    var td = tr.insertCell(), span = td;
    if (cls) { span = document.createElement("span"); span.className = cls; td.appendChild(span); }
    span.textContent = text == null ? "" : String(text);
    return td;
  }
  function verdict(m) { return m ? m.verdict : ""; }
  function addRow(r) {
    var tr = document.createElement("tr"), evi = document.createElement("tr");
    tr.className = "row"; tr.dataset.status = r.status || ""; tr.dataset.verdict = verdict(r.title_match);
    cell(tr, r.id).dataset.sort = String(r.id).padStart(6, "0");
    cell(tr, [r.publisher, r.title].filter(Boolean).join(" · ") || "—");
    var st = cell(tr, r.status, "s s-" + (r.status || "")); st.dataset.sort = r.status || "";
    var why = document.createElement("div"); why.className = "reason"; why.textContent = r.reason || ""; st.appendChild(why);
    cell(tr, r.page ? r.page.title : ""); cell(tr, verdict(r.title_match)); cell(tr, verdict(r.date_match));
    cell(tr, verdict(r.publisher_match));
    var arch = tr.insertCell();
    if (r.archive_url && /^https?:\/\//i.test(r.archive_url)) {
      var link = document.createElement("a"); link.href = r.archive_url; link.rel = "noopener noreferrer";
      link.textContent = r.archive_date || "snapshot"; arch.appendChild(link);
    }
    evi.className = "evidence"; evi.hidden = true; cell(evi, r.final_url || r.url).colSpan = 8;
    tbody.appendChild(tr); tbody.appendChild(evi); rows.push(tr);
    tr.addEventListener("click", function () { toggle(tr); });
  }
  function page() {
    queue.splice(0, 5000).forEach(addRow);
    more.hidden = !queue.length; more.textContent = "show " + Math.min(5000, queue.length) + " more";
    apply();
  }
  if (load) {
    load.addEventListener("change", function () {
      var file = load.files[0], reader = new FileReader();
      if (!file) return;
      reader.onload = function () {
        var listed = {};
        rows.forEach(function (r) { listed[r.cells[0].textContent] = true; });
        try { queue = JSON.parse(reader.result).results.filter(function (r) { return !listed[r.id]; }); }
        catch (err) { shown.textContent = file.name + ": not a citewatch JSON report"; return; }
        page();
      };
      reader.readAsText(file);
    });
    more.addEventListener("click", page);
  }
  [fs, fv].forEach(function (el) { el.addEventListener("change", apply); });
  ft.addEventListener("input", apply);
  apply();
})();
