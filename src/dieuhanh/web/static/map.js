// Commune map of the province with ECharts (vendored). Boundaries come from /api/v1/units/boundaries.geojson;
// without any imported boundaries the map falls back to a tile grid of communes.
//
// drawUnitMap(elementId, options) — every option is optional (drawUnitMap('unit-map') draws the plain map):
//   values     {communeCode: number|null}  colours the communes (choropleth in 5 equal classes) and adds a legend
//   unit       unit of the values ("%", "người") for the tooltip and the legend
//   statuses   {communeCode: "good"|"warning"|"critical"|"neutral"|"nodata"}  shown in the tooltip
//   min, max   bounds of the colour scale (default: the values' range)
//   highlight  a commune code drawn with a thick outline (the commune being viewed)
//   href       link template opened on click, "{code}" replaced by the commune code ("/?unit={code}")
//   onClick    function(params) called on click instead (params.name is the commune code)
//   legend     false to draw no legend; theme: an ECharts theme name ("dark" on the wall)
// Returns the ECharts instance.
const UNIT_MAP_PALETTE = ['#deebf7', '#9ecae1', '#6baed6', '#3182bd', '#08519c'];
const UNIT_MAP_NODATA = '#cfcfcf';
const UNIT_MAP_STATUS = { good: 'Đạt', warning: 'Gần đạt', critical: 'Chưa đạt', neutral: 'Theo dõi', nodata: 'Chưa có số liệu' };  // indicators/rules.py

function unitMapEscape(text) {
  return String(text).replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
}

function unitMapScale(values, options) {
  const numbers = Object.values(values).filter(v => typeof v === 'number' && Number.isFinite(v));
  if (!numbers.length) return null;
  const min = options.min ?? Math.min(...numbers);
  let max = options.max ?? Math.max(...numbers);
  if (max <= min) max = min + 1;
  const step = (max - min) / UNIT_MAP_PALETTE.length;
  const classes = UNIT_MAP_PALETTE.map((color, i) => ({ color, from: min + i * step, to: i === UNIT_MAP_PALETTE.length - 1 ? max : min + (i + 1) * step }));
  const colorOf = v => {
    if (typeof v !== 'number' || !Number.isFinite(v)) return UNIT_MAP_NODATA;
    const index = Math.min(UNIT_MAP_PALETTE.length - 1, Math.max(0, Math.floor((v - min) / step)));
    return UNIT_MAP_PALETTE[index];
  };
  return { classes, colorOf };
}

function unitMapLegend(el, scale, options, fmt) {
  const id = `${el.id}-legend`;
  let legend = document.getElementById(id);
  if (!legend) {
    legend = document.createElement('div');
    legend.id = id;
    legend.setAttribute('data-testid', 'map-legend');
    legend.setAttribute('aria-label', 'Chú giải bản đồ');
    legend.style.cssText = 'display:flex;flex-wrap:wrap;gap:.35rem 1rem;align-items:center;margin-top:.5rem;font-size:.85rem';
    el.insertAdjacentElement('afterend', legend);
  }
  // Built with the DOM and textContent: the unit is definition text an analyst typed (no HTML, ever).
  const unit = options.unit ? ` ${options.unit}` : '';
  const swatch = (color, text) => {
    const item = document.createElement('span');
    item.style.cssText = 'display:inline-flex;align-items:center;gap:.3rem';
    const box = document.createElement('span');
    box.style.cssText = 'display:inline-block;width:1.1rem;height:.8rem;border:1px solid #8a9bb0';
    box.style.background = color;
    item.append(box, document.createTextNode(text));
    return item;
  };
  legend.replaceChildren(...scale.classes.map(c => swatch(c.color, `${fmt.format(c.from)} – ${fmt.format(c.to)}${unit}`)),
    swatch(UNIT_MAP_NODATA, 'Chưa có số liệu'));
}

// ECharts' geo layout fails on a 0×0 element (a hidden tab, a slide of the wall not shown yet, a layout not done):
// resolve once the element has a size.
function unitMapSized(el) {
  if (el.clientWidth > 0 && el.clientHeight > 0) return Promise.resolve();
  return new Promise(resolve => {
    const observer = new ResizeObserver(() => {
      if (el.clientWidth > 0 && el.clientHeight > 0) { observer.disconnect(); resolve(); }
    });
    observer.observe(el);
  });
}

async function drawUnitMap(elementId, options = {}) {
  const el = document.getElementById(elementId);
  if (!el || typeof echarts === 'undefined') return;
  const geoRequest = fetch('/api/v1/units/boundaries.geojson');
  await unitMapSized(el);
  const chart = echarts.getInstanceByDom(el) || echarts.init(el, options.theme || null);
  const values = options.values || {};
  const statuses = options.statuses || {};
  const fmt = new Intl.NumberFormat('vi-VN', { maximumFractionDigits: 2 });
  const scale = unitMapScale(values, options);
  const hasValues = Object.keys(values).length > 0;
  const show = v => (typeof v === 'number' && Number.isFinite(v)) ? fmt.format(v) + (options.unit ? ` ${options.unit}` : '') : 'Chưa có số liệu';
  // ECharts renders a formatter's string as HTML: every piece of text is escaped (names, unit, status).
  const describe = (code, name) => {
    let text = `<strong>${unitMapEscape(name || code)}</strong>`;  // names, never codes, where people read
    if (hasValues) text += `<br>${unitMapEscape(show(values[code]))}`;
    if (statuses[code]) text += ` · ${unitMapEscape(UNIT_MAP_STATUS[statuses[code]] || statuses[code])}`;
    return text;
  };
  const style = code => {
    const s = {};
    if (hasValues) s.areaColor = scale ? scale.colorOf(values[code]) : UNIT_MAP_NODATA;
    if (hasValues) s.color = s.areaColor;
    if (options.highlight && code === options.highlight) { s.borderColor = '#d35400'; s.borderWidth = 2.5; }
    return s;
  };
  const geo = await (await geoRequest).json();
  await unitMapSized(el);
  if (geo.features && geo.features.length) {
    echarts.registerMap('province', geo);
    const names = Object.fromEntries(geo.features.map(f => [f.properties.code, f.properties.name]));
    const data = geo.features.map(f => ({ name: f.properties.code, value: values[f.properties.code] ?? null, label: f.properties.name, itemStyle: style(f.properties.code) }));
    chart.setOption({
      tooltip: { trigger: 'item', formatter: p => describe(p.name, names[p.name]) },
      series: [{ type: 'map', map: 'province', nameProperty: 'code', roam: true, data, selectedMode: false,
                 itemStyle: { areaColor: '#dbe7f3', borderColor: '#5a7fa8', borderWidth: 0.6 },
                 emphasis: { label: { show: false }, itemStyle: { areaColor: '#f2c14e' } } }],
    });
  } else {
    const units = await (await fetch('/api/v1/units?level=commune')).json();
    const cols = Math.max(1, Math.ceil(Math.sqrt(units.length * 1.6)));
    const rows = Math.ceil(units.length / cols);
    const size = Math.max(8, Math.min((el.clientWidth || 600) / (cols + 2), (el.clientHeight || 400) / (rows + 2)) - 2);
    chart.setOption({
      tooltip: { formatter: p => describe(p.data.code, p.data.label) },
      grid: { left: 4, right: 4, top: 4, bottom: 4 },
      xAxis: { show: false, min: -1, max: cols }, yAxis: { show: false, inverse: true, min: -1, max: rows },
      series: [{ type: 'scatter', symbol: 'rect', symbolSize: size,
                 data: units.map((u, i) => ({ value: [i % cols, Math.floor(i / cols)], name: u.code, code: u.code, label: u.name,
                                               itemStyle: hasValues ? style(u.code) : { color: '#7fa6cf', ...style(u.code) } })) }],
    });
  }
  if (hasValues && scale && options.legend !== false) unitMapLegend(el, scale, options, fmt);
  if (!el.dataset.unitMapResize) {
    el.dataset.unitMapResize = '1';
    window.addEventListener('resize', () => { if (el.clientWidth > 0 && el.clientHeight > 0) chart.resize(); });
  }
  chart.off('click');
  if (options.onClick) chart.on('click', options.onClick);
  else if (options.href) {
    el.style.cursor = 'pointer';
    chart.on('click', p => { const code = (p.data && p.data.code) || p.name; if (code) window.location.href = options.href.replace('{code}', encodeURIComponent(code)); });
  }
  return chart;
}
