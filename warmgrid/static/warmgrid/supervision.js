// The supervisor board's map and trend chart, drawn with the vendored ECharts. The grids'
// GeoJSON outlines and the numbers are data (application/json blocks, or for the trend
// chart, which arrives later through htmx, an attribute), never executed: the CSP holds.
(function () {
  "use strict";

  function readJSON(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  function fresh(holder) {
    return typeof window.echarts !== "undefined" && !window.echarts.getInstanceByDom(holder);
  }

  function drawMap(holder) {
    var geo = readJSON(holder.dataset.geo);
    var data = readJSON(holder.dataset.values);
    if (!geo || !data || !geo.features.length || !fresh(holder)) {
      return;
    }
    // Features are matched by grid code: two communities may both have a "第一网格".
    window.echarts.registerMap("wg-grids", geo);
    var max = Math.max.apply(null, data.values.map(function (v) { return v.value; }).concat([1]));
    var names = {};
    geo.features.forEach(function (f) { names[f.properties.code] = f.properties.name; });
    var chart = window.echarts.init(holder, null, { renderer: "svg" });
    chart.setOption({
      animation: false,
      // richText tooltips: the HTML ones carry style="" attributes, which the CSP refuses.
      tooltip: {
        trigger: "item",
        renderMode: "richText",
        formatter: function (p) {
          var d = p.data || {};
          return (names[p.name] || p.name) + "\n" + data.labels.open + ": " + (d.value || 0) +
            "\n" + data.labels.red + ": " + (d.red || 0);
        }
      },
      visualMap: {
        min: 0, max: max, calculable: true, orient: "horizontal", left: "center", bottom: 0,
        inRange: { color: ["#f0fdf4", "#fde68a", "#f97316", "#b91c1c"] }
      },
      series: [{
        type: "map", map: "wg-grids", nameProperty: "code", roam: true,
        label: { show: false }, emphasis: { label: { show: false } },
        itemStyle: { borderColor: "#64748b", borderWidth: 0.5 },
        data: data.values
      }]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function drawTrend(holder) {
    // In an attribute, not a script block: htmx drops script elements from what it swaps.
    var data = JSON.parse(holder.dataset.trend || "null");
    if (!data || !fresh(holder)) {
      return;
    }
    var chart = window.echarts.init(holder, null, { renderer: "svg" });
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis", renderMode: "richText" },
      legend: { type: "scroll", top: 0 },
      grid: { left: 8, right: 16, top: 40, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: data.months, boundaryGap: false },
      yAxis: { type: "value", minInterval: 1 },
      series: data.series.map(function (s) {
        var totals = s.kind !== "family";
        return {
          name: s.name, type: "line", data: s.data, symbolSize: 4,
          lineStyle: { width: totals ? 3 : 1.5, type: s.kind === "closed" ? "dashed" : "solid" }
        };
      })
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function drawIn(root) {
    root.querySelectorAll(".wg-map[data-geo]").forEach(drawMap);
    root.querySelectorAll("[data-trend]").forEach(drawTrend);
  }

  document.addEventListener("htmx:load", function (event) {
    if (event.target && event.target.querySelectorAll) {
      drawIn(event.target);
    }
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { drawIn(document); });
  } else {
    drawIn(document);
  }
})();
