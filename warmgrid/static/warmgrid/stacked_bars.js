// Stacked horizontal bars, one per area, drawn with the vendored ECharts for every
// `.wg-chart[data-source]` on the page. The numbers come from the json_script block the
// data-source attribute names (data, never executed), so the CSP holds.
(function () {
  "use strict";

  function draw(holder) {
    var source = document.getElementById(holder.dataset.source);
    if (!source || typeof window.echarts === "undefined") {
      return;
    }
    var data = JSON.parse(source.textContent);
    var series = (data.series || []).filter(function (s) {
      return s.data.some(function (n) { return n > 0; });
    });
    if (!series.length || !(data.areas || []).length) {
      holder.hidden = true;
      return;
    }
    // About 36 px a bar, so a long list of areas stays readable on a phone.
    holder.style.height = Math.max(240, 120 + data.areas.length * 36) + "px";
    var chart = window.echarts.init(holder, null, { renderer: "svg" });
    chart.setOption({
      animation: false,
      // richText tooltips: the HTML ones carry style="" attributes, which the CSP refuses.
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, renderMode: "richText" },
      legend: { type: "scroll", top: 0 },
      grid: { left: 8, right: 16, top: 40, bottom: 8, containLabel: true },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: {
        type: "category",
        data: data.areas,
        inverse: true,
        axisLabel: { width: 110, overflow: "truncate" }
      },
      series: series.map(function (s) {
        return { name: s.name, type: "bar", stack: "total", data: s.data, barMaxWidth: 28,
                 emphasis: { focus: "series" } };
      })
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function drawAll() {
    document.querySelectorAll(".wg-chart[data-source]").forEach(draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
