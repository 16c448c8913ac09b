/* The project Gantt (projects/_gantt.html): plan against actual per stage and department, drawn with the vendored
   ECharts from the JSON in <script type="application/json" id="…"> named by [data-gantt] (no inline script: CSP). */
(function () {
  var DAY = 86400000;
  var COLORS = ["#b9c2cf", "#2e7d32", "#1f6fd1"]; // plan, actual done, forecast

  function day(iso) {
    var p = iso.split("-");
    return Date.UTC(+p[0], +p[1] - 1, +p[2]);
  }

  function bars(rows) {
    var out = [];
    rows.forEach(function (r, i) {
      if (r.plan) {
        out.push([i, day(r.plan[0]), Math.max(day(r.plan[1]), day(r.plan[0]) + DAY), 0, 0]);
      }
      if (r.actual) {
        var a0 = day(r.actual[0]), a1 = Math.max(day(r.actual[1]), day(r.actual[0]) + DAY);
        var done = r.done_until ? Math.min(Math.max(day(r.done_until), a0 + DAY), a1) : a0;
        if (done > a0) { out.push([i, a0, done, 1, r.critical ? 1 : 0]); }
        if (a1 > done) { out.push([i, done, a1, 2, r.critical ? 1 : 0]); }
      }
    });
    return out;
  }

  function renderItem(params, api) {
    var row = api.value(0), kind = api.value(3), critical = api.value(4);
    var start = api.coord([api.value(1), row]), end = api.coord([api.value(2), row]);
    var h = api.size([0, 1])[1];
    var height = kind === 0 ? h * 0.22 : h * 0.38;
    var y = kind === 0 ? start[1] - h * 0.36 : start[1] - h * 0.08;
    var rect = echarts.graphic.clipRectByRect(
      {x: start[0], y: y, width: Math.max(end[0] - start[0], 2), height: height},
      {x: params.coordSys.x, y: params.coordSys.y, width: params.coordSys.width, height: params.coordSys.height});
    if (!rect) { return null; }
    return {type: "rect", shape: rect, style: {fill: COLORS[kind], stroke: critical && kind !== 0 ? "#b5121b" : null, lineWidth: 2}};
  }

  function options(data, narrow) {
    var marks = [{xAxis: day(data.today), label: {formatter: "今天", position: "end"}, lineStyle: {color: "#b5121b"}}];
    if (data.end) { marks.push({xAxis: day(data.end) + DAY, label: {formatter: "预计办结", position: "start"}, lineStyle: {color: "#1f6fd1", type: "dashed"}}); }
    return {
      animation: false,
      grid: {left: narrow ? 10 : 10, right: narrow ? 12 : 30, top: 24, bottom: 30, containLabel: true},
      tooltip: {confine: true, formatter: function (p) {
        var v = p.value, f = function (t) { return new Date(t).toISOString().slice(0, 10); };
        return data.rows[v[0]].label + "<br>" + ["计划", "实际", "预测"][v[3]] + ":" + f(v[1]) + " — " + f(v[2] - DAY);
      }},
      xAxis: {type: "time", position: "top", splitLine: {show: true, lineStyle: {color: "#eef0f3"}},
              axisLabel: {hideOverlap: true, formatter: "{MM}-{dd}"}},
      yAxis: {type: "category", inverse: true, data: data.rows.map(function (r) { return narrow ? r.short : r.label; }),
              axisTick: {show: false}, axisLabel: {width: narrow ? 112 : 300, margin: 6, overflow: "truncate", fontSize: narrow ? 10 : 12}},
      series: [{type: "custom", renderItem: renderItem, encode: {x: [1, 2], y: 0}, data: bars(data.rows),
                markLine: {symbol: "none", silent: true, data: marks}}]
    };
  }

  function draw(el) {
    var source = document.getElementById(el.getAttribute("data-gantt"));
    if (!source || !window.echarts) { return; }
    var data = JSON.parse(source.textContent);
    var narrow = el.clientWidth < 600;
    el.style.height = Math.max(160, data.rows.length * (narrow ? 30 : 34) + 70) + "px";
    var chart = echarts.init(el, null, {renderer: "canvas"});
    chart.setOption(options(data, narrow));
    window.addEventListener("resize", function () {  /* a phone turned, a window resized: labels follow the width */
      var now = el.clientWidth < 600;
      if (now !== narrow) { narrow = now; chart.setOption(options(data, narrow), true); }
      chart.resize();
    });
  }

  function init() { document.querySelectorAll("[data-gantt]").forEach(draw); }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
