// Live collection progress: refresh the wave's counts every 15 seconds from its JSON.
(function () {
  "use strict";
  var section = document.getElementById("wg-progress");
  if (!section) return;
  var url = section.getAttribute("data-progress-url");
  function set(row, field, value) {
    var cell = row && row.querySelector('[data-field="' + field + '"]');
    if (!cell) return;
    if (field === "bar") cell.value = value;
    else cell.textContent = value;
  }
  function refresh() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) return;
        ["completes", "invited", "quotas_met"].forEach(function (key) {
          var total = section.querySelector('[data-total="' + key + '"]');
          if (total) total.textContent = data[key];
        });
        data.communities.forEach(function (c) {
          var row = section.querySelector('tr[data-community="' + c.code + '"]');
          ["invited", "used", "completes"].forEach(function (f) { set(row, f, c[f]); });
          set(row, "bar", c.completes);
          if (c.response_rate !== null) set(row, "rate", Math.round(c.response_rate * 100) + "%");
          c.grids.forEach(function (g) {
            var gridRow = section.querySelector('tr[data-grid="' + g.code + '"]');
            ["invited", "used", "completes"].forEach(function (f) { set(gridRow, f, g[f]); });
          });
        });
      })
      .catch(function () { /* offline for a moment: try again next time */ });
  }
  setInterval(refresh, 15000);
})();
