// The fair score of every ranked subject as a horizontal bar, best first, each labelled
// with its zero-complaints rank, drawn with the vendored ECharts for every
// `.wg-chart[data-fair-source]`. The numbers come from the json_script block the
// attribute names (data, never executed), so the CSP holds.
(function () {
  "use strict";

  function draw(holder) {
    var source = document.getElementById(holder.dataset.fairSource);
    if (!source || typeof window.echarts === "undefined") {
      return;
    }
    var data = JSON.parse(source.textContent);
    var names = data.names || [];
    if (!names.length) {
      holder.hidden = true;
      return;
    }
    var labels = names.map(function (name, i) {
      return name + "  (#" + data.naive[i] + " → #" + data.fair[i] + ")";
    });
    // About 32 px a bar, so a long list stays readable on a phone.
    holder.style.height = Math.max(220, 80 + names.length * 32) + "px";
    var chart = window.echarts.init(holder, null, { renderer: "svg" });
    chart.setOption({
      animation: false,
      // richText tooltips: the HTML ones carry style="" attributes, which the CSP refuses.
      tooltip: {
        trigger: "item", renderMode: "richText",
        formatter: function (p) {
          var i = p.dataIndex;
          return names[i] + "\n" + data.scoreLabel + ": " + data.scores[i] + "\n" +
            data.naiveLabel + ": " + data.naive[i] + "\n" + data.fairLabel + ": " + data.fair[i];
        }
      },
      grid: { left: 8, right: 40, top: 8, bottom: 8, containLabel: true },
      xAxis: { type: "value", min: 0, max: 100 },
      yAxis: { type: "category", data: labels, inverse: true,
               axisLabel: { width: 160, overflow: "truncate" } },
      series: [{
        type: "bar", data: data.scores, barMaxWidth: 22,
        itemStyle: { color: "#c2410c" },
        label: { show: true, position: "right" }
      }]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function drawAll() {
    document.querySelectorAll(".wg-chart[data-fair-source]").forEach(draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
