// Radar chart of a unit's DTI points per pillar (data from a JSON script tag; no user text reaches innerHTML).
(function () {
  function draw() {
    var el = document.getElementById("dti-radar");
    var src = document.getElementById("dti-radar-data");
    if (!el || !src || typeof echarts === "undefined") return;
    var data = JSON.parse(src.textContent || "{}");
    if (!data.indicator || !data.indicator.length) return;
    var chart = echarts.init(el);
    chart.setOption({
      tooltip: {},
      radar: { indicator: data.indicator, radius: "65%" },
      series: [{ type: "radar", data: [{ value: data.value, name: "Điểm" }], areaStyle: { opacity: 0.25 } }]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
