// "A point on the map" on the report form: "use my location" (the phone's GPS) or a tap
// on a sketch map of the buildings around, drawn with the vendored ECharts. Both only fill
// the form's hidden latitude and longitude; the server files the case under the nearest
// building. Without script the form still works with a household, a building or an address.
(function () {
  "use strict";

  // The map's bounds: the buildings and a margin of at least 0.002° (about 200 m), so
  // that a grid of one building still has room around it to tap.
  function span(values) {
    var low = Math.min.apply(null, values);
    var high = Math.max.apply(null, values);
    var margin = Math.max((high - low) * 0.15, 0.002);
    return [low - margin, high + margin];
  }

  function setUp(form) {
    var lat = form.querySelector("input[name=latitude]");
    var lon = form.querySelector("input[name=longitude]");
    var text = form.querySelector("[data-point-text]");
    if (!lat || !lon || !text || form.dataset.pointReady) {
      return;
    }
    form.dataset.pointReady = "1";
    var locate = form.querySelector("[data-locate]");
    var clear = form.querySelector("[data-clear-point]");
    var holder = form.querySelector(".wg-report-map");
    var chart = null;

    function show() {
      var chosen = lat.value !== "" && lon.value !== "";
      text.textContent = chosen ? text.dataset.chosen.replace("{point}", lat.value + ", " + lon.value) : "";
      clear.hidden = !chosen;
      if (chart) {
        chart.setOption({ series: [{}, { data: chosen ? [[Number(lon.value), Number(lat.value)]] : [] }] });
      }
    }

    function choose(latitude, longitude) {
      // Six decimals (about 10 cm) is what the server keeps.
      lat.value = Number(latitude).toFixed(6);
      lon.value = Number(longitude).toFixed(6);
      show();
    }

    if (navigator.geolocation) {
      locate.hidden = false;
      locate.addEventListener("click", function () {
        text.textContent = text.dataset.locating;
        navigator.geolocation.getCurrentPosition(
          function (position) { choose(position.coords.latitude, position.coords.longitude); },
          function () { text.textContent = text.dataset.failed; },
          { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
        );
      });
    }
    clear.addEventListener("click", function () {
      lat.value = "";
      lon.value = "";
      show();
    });

    if (holder && window.echarts && !window.echarts.getInstanceByDom(holder)) {
      var buildings = JSON.parse(document.getElementById(holder.dataset.buildings).textContent);
      var x = span(buildings.map(function (b) { return b.lon; }));
      var y = span(buildings.map(function (b) { return b.lat; }));
      chart = window.echarts.init(holder, null, { renderer: "svg" });
      chart.setOption({
        animation: false,
        grid: { left: 8, right: 8, top: 8, bottom: 8 },
        xAxis: { type: "value", min: x[0], max: x[1], show: false },
        yAxis: { type: "value", min: y[0], max: y[1], show: false },
        // richText tooltips: the HTML ones carry style="" attributes, which the CSP refuses.
        tooltip: {
          trigger: "item", renderMode: "richText",
          formatter: function (p) { return p.seriesIndex === 0 ? p.name : text.dataset.pointLabel; }
        },
        series: [
          {
            type: "scatter", symbolSize: 9, itemStyle: { color: "#64748b" },
            label: { show: buildings.length <= 60, formatter: "{b}", position: "right", fontSize: 10 },
            data: buildings.map(function (b) { return { name: b.name, value: [b.lon, b.lat] }; })
          },
          { type: "scatter", symbol: "pin", symbolSize: 30, itemStyle: { color: "#b91c1c" }, data: [] }
        ]
      });
      chart.getZr().on("click", function (event) {
        var point = chart.convertFromPixel({ seriesIndex: 0 }, [event.offsetX, event.offsetY]);
        if (point && isFinite(point[0]) && isFinite(point[1])) {
          choose(point[1], point[0]);
        }
      });
      window.addEventListener("resize", function () { chart.resize(); });
    }
    show();
  }

  function setUpAll() {
    document.querySelectorAll("#report-form").forEach(setUp);
  }

  document.addEventListener("DOMContentLoaded", setUpAll);
  // The form is swapped whole (htmx) when it comes back with errors.
  document.addEventListener("htmx:afterSettle", setUpAll);
})();
