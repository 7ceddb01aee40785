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
  [fs, fv].forEach(function (el) { el.addEventListener("change", apply); });
  ft.addEventListener("input", apply);
  apply();
})();
