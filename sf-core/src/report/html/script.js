(function () {
  document.documentElement.classList.add("js");
  var boxes = document.querySelectorAll("#controls input[type=checkbox]");
  var search = document.getElementById("search");
  var shown = document.getElementById("shown");
  var tests = document.querySelectorAll("details.test");
  function apply() {
    var on = {};
    boxes.forEach(function (b) { on[b.dataset.status] = b.checked; });
    var q = search.value.trim().toLowerCase();
    var n = 0;
    tests.forEach(function (t) {
      var ok = on[t.dataset.status] && (!q || t.dataset.name.indexOf(q) >= 0);
      t.classList.toggle("hidden", !ok);
      if (ok) { n++; }
    });
    shown.textContent = n + " of " + tests.length + " shown";
  }
  // A link can carry a filter: report.html?status=fail,skip&q=prep
  var params = new URLSearchParams(location.search);
  if (params.has("status")) {
    var wanted = params.get("status").toLowerCase().split(",");
    boxes.forEach(function (b) { b.checked = wanted.indexOf(b.dataset.status) >= 0; });
  }
  if (params.has("q")) { search.value = params.get("q"); }
  boxes.forEach(function (b) { b.addEventListener("change", apply); });
  search.addEventListener("input", apply);
  document.addEventListener("click", function (e) {
    var b = e.target.closest ? e.target.closest("button.copy") : null;
    if (!b) { return; }
    var text = b.dataset.copy;
    function done() { b.textContent = "copied"; setTimeout(function () { b.textContent = "copy"; }, 1500); }
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(done, function () { fallback(text); done(); });
    } else { fallback(text); done(); }
  });
  function fallback(text) {
    var area = document.createElement("textarea");
    area.value = text;
    document.body.appendChild(area);
    area.select();
    try { document.execCommand("copy"); } catch (err) { /* the command stays selectable */ }
    document.body.removeChild(area);
  }
  apply();
})();
