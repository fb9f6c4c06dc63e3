// Warmth results: the ranking with its 5–95% rank bands and the temperature map, drawn
// with the vendored ECharts from application/json blocks (never executed: the CSP holds).
(function () {
  "use strict";

  function readJSON(holder) {
    var node = document.getElementById(holder.dataset.source);
    return node ? JSON.parse(node.textContent) : null;
  }

  function drawRanking(holder) {
    var data = readJSON(holder);
    if (!data || !data.names.length || typeof window.echarts === "undefined") return;
    var chart = window.echarts.init(holder, null, { renderer: "svg" });
    var names = data.names.slice().reverse();
    var bands = data.bands.slice().reverse();
    var ranks = data.ranks.slice().reverse();
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis", renderMode: "richText", axisPointer: { type: "shadow" } },
      grid: { left: 8, right: 24, top: 24, bottom: 24, containLabel: true },
      xAxis: { type: "value", min: 1, max: data.of, inverse: true, name: data.labels.rank },
      yAxis: { type: "category", data: names },
      series: [
        { name: "", type: "bar", stack: "band", itemStyle: { color: "transparent" },
          data: bands.map(function (b) { return b[0]; }), silent: true },
        { name: data.labels.band, type: "bar", stack: "band", barWidth: 8,
          itemStyle: { color: "#f4a261" },
          data: bands.map(function (b) { return Math.max(b[1] - b[0], 0.15); }) },
        { name: data.labels.rank, type: "scatter", symbolSize: 10,
          itemStyle: { color: "#b4381c" }, data: ranks }
      ]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function drawMap(holder) {
    var data = readJSON(holder);
    if (!data || typeof window.echarts === "undefined") return;
    window.echarts.registerMap("wg-communities", data.geo);
    var names = {};
    data.geo.features.forEach(function (f) { names[f.properties.code] = f.properties.name; });
    var values = data.values.map(function (v) { return v.value; });
    var chart = window.echarts.init(holder, null, { renderer: "svg" });
    chart.setOption({
      animation: false,
      tooltip: { trigger: "item", renderMode: "richText", formatter: function (p) {
        return (names[p.name] || p.name) + "\n" + data.label + ": " + (p.value || "—");
      } },
      visualMap: { min: Math.min.apply(null, values), max: Math.max.apply(null, values),
        calculable: true, orient: "horizontal", left: "center", bottom: 0,
        inRange: { color: ["#dbeafe", "#fde68a", "#f97316", "#b91c1c"] } },
      series: [{ type: "map", map: "wg-communities", nameProperty: "code", roam: true,
        label: { show: false }, itemStyle: { borderColor: "#64748b", borderWidth: 0.5 },
        data: data.values }]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var ranking = document.getElementById("wg-rank-chart");
    if (ranking) drawRanking(ranking);
    var map = document.getElementById("wg-temperature-map");
    if (map) drawMap(map);
  });
})();
