// Public air page (/khong-khi): the station map (ECharts on the commune boundaries) and a station's last 48 hours
// and 30 days of VN_AQI. Every text from data is set with textContent (never innerHTML).
(function () {
  const stations = JSON.parse(document.getElementById('air-data').textContent);
  const byCode = Object.fromEntries(stations.map(s => [s.code, s]));
  const SCALE = [[50, '#00e400'], [100, '#ffff00'], [150, '#ff7e00'], [200, '#ff0000'], [300, '#8f3f97'], [500, '#7e0023']];
  const colourOf = v => (v === null || v === undefined) ? '#9e9e9e' : (SCALE.find(([hi]) => v <= hi) || SCALE[5])[1];
  const charts = {};

  function chart(id) {
    if (!charts[id]) charts[id] = echarts.init(document.getElementById(id));
    return charts[id];
  }

  function bars(id, rows, label) {
    chart(id).setOption({
      grid: { left: 40, right: 10, top: 10, bottom: 40 },
      tooltip: { trigger: 'axis' },
      xAxis: { type: 'category', data: rows.map(r => label(r.time)) },
      yAxis: { type: 'value', name: 'AQI', min: 0 },
      series: [{ type: 'bar', name: 'VN_AQI', data: rows.map(r => ({ value: r.aqi, itemStyle: { color: colourOf(r.aqi) } })) }],
    }, true);
  }

  const hourLabel = t => `${t.slice(11, 13)}h ${t.slice(8, 10)}/${t.slice(5, 7)}`;
  const dayLabel = t => `${t.slice(8, 10)}/${t.slice(5, 7)}`;

  async function show(code) {
    const s = byCode[code];
    if (!s) return;
    const box = document.getElementById('air-detail');
    box.hidden = false;
    document.getElementById('air-detail-title').textContent = s.aqi === null
      ? `${s.name}: chưa có VN_AQI` : `${s.name}: VN_AQI ${s.aqi} (${s.category}) lúc ${s.at}`;
    const subs = Object.entries(s.sub_indices).map(([p, v]) => `${p} ${v}`).join(' · ');
    document.getElementById('air-detail-subs').textContent = subs ? `Chỉ số từng thông số: ${subs}. Đơn vị vận hành: ${s.operator}.` : '';
    const q = encodeURIComponent(code);
    const [hourly, daily] = await Promise.all([
      fetch(`/api/v1/environment/aqi?station=${q}&kind=hourly`).then(r => r.json()),
      fetch(`/api/v1/environment/aqi?station=${q}&kind=daily`).then(r => r.json()),
    ]);
    bars('air-hourly', hourly, hourLabel);
    bars('air-daily', daily, dayLabel);
    box.dataset.loaded = code;
    box.scrollIntoView({ behavior: 'smooth', block: 'start' });
  }

  document.querySelectorAll('.air-station').forEach(b => b.addEventListener('click', () => show(b.dataset.station)));

  async function drawMap() {
    const el = document.getElementById('air-map');
    const points = stations.map(s => ({ name: s.name, code: s.code, value: [s.lon, s.lat, s.aqi],
      itemStyle: { color: s.silent ? '#9e9e9e' : colourOf(s.aqi), borderColor: '#333', borderWidth: 1 } }));
    const series = [{ type: 'scatter', coordinateSystem: 'geo', symbolSize: 18, data: points,
      label: { show: true, formatter: p => (p.value[2] === null ? '–' : String(p.value[2])), fontSize: 10 } }];
    const m = echarts.init(el);
    try {
      const geo = await fetch('/api/v1/units/boundaries.geojson').then(r => r.json());
      if (!geo.features || !geo.features.length) throw new Error('no boundaries');
      echarts.registerMap('air-province', geo);
      m.setOption({
        tooltip: { formatter: p => (p.data && p.data.code) ? `${echarts.format.encodeHTML(p.data.name)}: ${p.value[2] === null ? 'chưa có' : 'AQI ' + p.value[2]}` : '' },
        geo: { map: 'air-province', roam: true, itemStyle: { areaColor: '#f4f6f8', borderColor: '#b0b8c0' },
          emphasis: { disabled: true }, label: { show: false } },
        series,
      });
    } catch (e) {
      m.setOption({ xAxis: { type: 'value', scale: true, name: 'Kinh độ' }, yAxis: { type: 'value', scale: true, name: 'Vĩ độ' },
        series: [{ ...series[0], coordinateSystem: 'cartesian2d' }] });
    }
    m.on('click', p => { if (p.data && p.data.code) show(p.data.code); });
    el.dataset.ready = '1';
  }
  drawMap();
  window.addEventListener('resize', () => Object.values(charts).forEach(c => c.resize()));
})();
