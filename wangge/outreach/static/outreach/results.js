// Survey results: one bar chart per choice or rating question (Apache ECharts), from the JSON on the page.
(function () {
  "use strict";
  const data = document.getElementById("survey-results");
  if (!data || typeof echarts === "undefined") return;
  const results = JSON.parse(data.textContent);
  const charts = [];
  for (const q of results.questions) {
    const el = document.getElementById("chart-" + q.id);
    if (!el || !q.options) continue;
    const chart = echarts.init(el, null, { renderer: "canvas" });
    chart.setOption({
      aria: { enabled: true },
      grid: { left: 8, right: 24, top: 16, bottom: 8, containLabel: true },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", inverse: true, data: q.options.map((o) => q.type === "rating" ? o.option + "★" : o.option) },
      series: [{ type: "bar", data: q.options.map((o) => o.count), label: { show: true, position: "right" },
                 itemStyle: { color: q.type === "rating" ? "#e8a33d" : "#3b7dd8" } }],
    });
    charts.push(chart);
    el.dataset.rendered = "true";
  }
  window.addEventListener("resize", () => charts.forEach((c) => c.resize()));
  document.getElementById("results").dataset.charts = String(charts.length);
})();
