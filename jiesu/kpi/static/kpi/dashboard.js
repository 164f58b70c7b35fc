// 考核指标: the filter form and the two charts. Data comes from the page's json_script block, never from
// markup written into a script (names of units and categories are edited by people).
(function () {
  var filters = document.getElementById("kpi-filters");
  if (filters) {
    // A custom range wins over a preset period; choosing a preset clears it.
    filters.addEventListener("submit", function (e) {
      var f = e.target, custom = f.from.value && f.to.value;
      if (custom) { f.period.value = "custom"; f.at.disabled = true; }
      else { f.from.disabled = true; f.to.disabled = true; if (f.period.value === "custom") f.period.value = "month"; }
    });
  }
  var source = document.getElementById("kpi-chart-data");
  if (!source || typeof Plotly === "undefined") return;
  var data = JSON.parse(source.textContent);
  var layout = {margin: {t: 10, r: 10, b: 40, l: 50}, height: 280, yaxis: {tickformat: ".0%", range: [0, 1.05]},
                legend: {orientation: "h"}, font: {family: "sans-serif"}};
  Plotly.newPlot("chart-trend", data.trend.series.map(function (s) {
    return {x: data.trend.x, y: s.y, name: s.name, type: "scatter", mode: "lines+markers", connectgaps: false};
  }), layout, {displaylogo: false, responsive: true});
  Plotly.newPlot("chart-category", [{x: data.category.x, y: data.category.y, type: "bar", name: "派单量"}],
    {margin: {t: 10, r: 10, b: 60, l: 50}, height: 260}, {displaylogo: false, responsive: true});
})();
