/* 电子监察 charts (ECharts): read the figures from the page's JSON (#chart-data, written by the server), draw the
   month trend and the lights, and open the cases behind a bar or a slice when it is clicked. Redrawn after htmx
   swaps the board (filters changed). No inline script: the CSP allows none. */
(function () {
  var charts = [];
  function draw() {
    charts.forEach(function (c) { c.dispose(); });
    charts = [];
    var node = document.getElementById("chart-data");
    if (!node || !window.echarts) { return; }
    var data = JSON.parse(node.textContent);
    var trend = document.getElementById("chart-trend");
    if (trend) {
      var t = echarts.init(trend);
      t.setOption({
        tooltip: { trigger: "axis" }, legend: { data: ["受理", "办结"] }, grid: { left: 40, right: 10, top: 30, bottom: 30 },
        xAxis: { type: "category", data: data.trend.months }, yAxis: { type: "value", minInterval: 1 },
        series: [{ name: "受理", type: "bar", barMaxWidth: 48, data: data.trend.accepted }, { name: "办结", type: "line", data: data.trend.completed }]
      });
      t.on("click", function (p) {
        var month = data.trend.months[p.dataIndex];
        var key = p.seriesName === "受理" ? "accepted" : "completed";
        var start = month + "-01";
        var d = new Date(Number(month.slice(0, 4)), Number(month.slice(5, 7)), 0);
        var end = month + "-" + String(d.getDate()).padStart(2, "0");
        var qs = new URLSearchParams(data.drill.slice(1));
        qs.set("start", start); qs.set("end", end);
        window.location.href = "/supervision/figures/" + key + "/?" + qs.toString();
      });
      charts.push(t);
    }
    var lights = document.getElementById("chart-lights");
    if (lights) {
      var l = echarts.init(lights);
      l.setOption({
        tooltip: { trigger: "item" }, color: ["#dc3545", "#ffc107", "#198754", "#6c757d"], legend: { bottom: 0 },
        series: [{ type: "pie", radius: ["30%", "60%"], center: ["50%", "45%"], label: { show: true, formatter: "{c}" }, data: data.lights }]
      });
      l.on("click", function (p) { window.location.href = "/supervision/figures/" + p.data.key + "/" + data.drill; });
      charts.push(l);
    }
  }
  document.addEventListener("DOMContentLoaded", draw);
  document.addEventListener("htmx:afterSettle", draw);
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
