// Draws every chart of the page with Apache ECharts (static/vendor/echarts/echarts.min.js, loaded
// before this file). The containers and their options come from the {% chart %} tag
// (core/templatetags/charts.py, whose docstring lists the conventions kept here):
//
//   <div class="chart" id="x" data-chart="x-option" [data-map="…/320200.json" data-map-name="320200"]>
//   <script id="x-option" type="application/json">{ECharts option}</script>
//
// - data-map: the outline is fetched and registered under data-map-name before drawing;
// - a data item with "href" opens it on a click (pointer cursor on such items only);
// - "_valueSuffix" on the option's root: the tooltip shows values with that suffix;
// - resized with the window and for printing (A4); data-drawn="1" once first drawn.
// No inline script: the pages run under a strict content security policy.
(function () {
  "use strict";

  // A4 portrait less 2 cm margins either side, in CSS pixels (170 mm at 96 dpi)
  var PRINT_WIDTH = 642;
  var charts = [];

  function hrefOf(params) {
    var item = params && params.data;
    return item && typeof item === "object" && typeof item.href === "string" ? item.href : null;
  }

  function suffixed(suffix) {
    return function (value) {
      if (Array.isArray(value)) value = value[value.length - 1];
      if (value === null || value === undefined || value === "" || value === "-" || Number.isNaN(value)) {
        return "—";
      }
      return echarts.format.addCommas(value) + suffix;
    };
  }

  // The option as ECharts takes it: the page's conventions turned into ECharts settings.
  function prepare(option) {
    var suffix = option._valueSuffix;
    Object.keys(option).forEach(function (key) {
      if (key.charAt(0) === "_") delete option[key];
    });
    if (typeof suffix === "string") {
      var tooltips = Array.isArray(option.tooltip) ? option.tooltip : [option.tooltip || {}];
      tooltips.forEach(function (tooltip) {
        if (!tooltip.valueFormatter) tooltip.valueFormatter = suffixed(suffix);
      });
      option.tooltip = Array.isArray(option.tooltip) ? tooltips : tooltips[0];
    }
    return option;
  }

  function outline(container) {
    var url = container.dataset.map;
    var name = container.dataset.mapName;
    if (!url || !name) return Promise.resolve();
    if (echarts.getMap(name)) return Promise.resolve();
    return fetch(url, { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error("map " + name + ": HTTP " + response.status);
        return response.json();
      })
      .then(function (geojson) {
        if (!echarts.getMap(name)) echarts.registerMap(name, geojson);
      });
  }

  function draw(container) {
    if (container.dataset.chartReady) return;
    container.dataset.chartReady = "1";
    var source = document.getElementById(container.dataset.chart);
    if (!source) return;
    var option = prepare(JSON.parse(source.textContent));
    outline(container)
      .then(function () {
        var chart = echarts.init(container, null, { renderer: "canvas", locale: "ZH" });
        chart.on("finished", function () {
          if (!container.dataset.drawn) container.dataset.drawn = "1";
        });
        chart.on("click", function (params) {
          var href = hrefOf(params);
          if (href) window.location.assign(href);
        });
        // a pointer over what leads somewhere, the plain cursor over the rest (charts.css)
        chart.on("mouseover", function (params) {
          container.classList.toggle("chart-nolink", !hrefOf(params));
        });
        chart.on("mouseout", function () {
          container.classList.remove("chart-nolink");
        });
        chart.setOption(option);
        charts.push(chart);
      })
      .catch(function (error) {
        container.dataset.drawn = "error";
        container.classList.add("chart-failed");
        container.textContent = "图表加载失败，请刷新页面重试。";
        if (window.console) console.error(error);
      });
  }

  function drawAll() {
    if (typeof echarts === "undefined") return;
    document.querySelectorAll("[data-chart]").forEach(draw);
  }

  function resizeAll(size) {
    charts.forEach(function (chart) {
      if (!chart.isDisposed()) chart.resize(size);
    });
  }

  var pending;
  window.addEventListener("resize", function () {
    window.clearTimeout(pending);
    pending = window.setTimeout(function () { resizeAll(); }, 100);
  });
  window.addEventListener("beforeprint", function () {
    charts.forEach(function (chart) {
      var width = Math.min(chart.getDom().clientWidth || PRINT_WIDTH, PRINT_WIDTH);
      chart.resize({ width: width, animation: { duration: 0 } });
    });
  });
  window.addEventListener("afterprint", function () {
    resizeAll({ width: "auto", animation: { duration: 0 } });
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
