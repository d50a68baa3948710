// Commune map of the province with ECharts (vendored). Boundaries come from /api/v1/units/boundaries.geojson;
// without any imported boundaries the map falls back to a tile grid of communes.
async function drawUnitMap(elementId, options = {}) {
  const el = document.getElementById(elementId);
  if (!el || typeof echarts === 'undefined') return;
  const chart = echarts.init(el, options.theme || null);
  const geo = await (await fetch('/api/v1/units/boundaries.geojson')).json();
  const values = options.values || {};
  if (geo.features && geo.features.length) {
    echarts.registerMap('province', geo);
    const data = geo.features.map(f => ({ name: f.properties.code, value: values[f.properties.code] ?? null, label: f.properties.name }));
    const names = Object.fromEntries(geo.features.map(f => [f.properties.code, f.properties.name]));
    chart.setOption({
      tooltip: { trigger: 'item', formatter: p => `${names[p.name] || p.name} (${p.name})` + (p.value != null && !isNaN(p.value) ? `<br>${p.value.toLocaleString('vi-VN')}` : '') },
      visualMap: Object.keys(values).length ? { left: 'left', calculable: true, min: options.min ?? 0, max: options.max ?? 100 } : undefined,
      series: [{ type: 'map', map: 'province', nameProperty: 'code', roam: true, data,
                 itemStyle: { areaColor: '#dbe7f3', borderColor: '#5a7fa8', borderWidth: 0.6 },
                 emphasis: { label: { show: false }, itemStyle: { areaColor: '#f2c14e' } } }],
    });
  } else {
    const units = await (await fetch('/api/v1/units?level=commune')).json();
    const cols = Math.ceil(Math.sqrt(units.length));
    chart.setOption({
      tooltip: { formatter: p => p.data.label },
      xAxis: { show: false, min: -1, max: cols }, yAxis: { show: false, inverse: true, min: -1, max: Math.ceil(units.length / cols) },
      series: [{ type: 'scatter', symbol: 'rect', symbolSize: 18,
                 data: units.map((u, i) => ({ value: [i % cols, Math.floor(i / cols)], label: u.name })) }],
    });
  }
  window.addEventListener('resize', () => chart.resize());
  if (options.onClick) chart.on('click', options.onClick);
  return chart;
}
