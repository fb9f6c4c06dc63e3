// Live progress of a ledger import or export: poll its JSON every 2 seconds until it
// stops, and reload the page when it ends so the results and links appear.
(function () {
  "use strict";
  var section = document.getElementById("wg-ledger-progress");
  if (!section) return;
  var url = section.getAttribute("data-progress-url");
  var moving = ["queued", "running"];
  function set(field, value) {
    var node = section.querySelector('[data-field="' + field + '"]');
    if (!node) return;
    if (field === "bar") { node.max = Math.max(value[1], 1); node.value = value[0]; }
    else node.textContent = value;
  }
  function tick() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) return;
        ["status_label", "rows_done", "rows_total", "created", "linked", "unchanged",
         "review", "rejected"].forEach(function (f) { if (f in data) set(f, data[f]); });
        set("bar", [data.rows_done, data.rows_total]);
        if (moving.indexOf(data.status) >= 0) setTimeout(tick, 2000);
        else window.location.reload();  // it ended: show the results and links
      })
      .catch(function () { setTimeout(tick, 5000); });
  }
  if (moving.indexOf(section.getAttribute("data-status")) >= 0) setTimeout(tick, 1000);
})();
