// Forecasting pages: /giao-thong (traffic map, link detail), /du-bao/chat-thai (waste scenarios), and the board
// tiles' year-end forecast line ([data-forecast-code]). DOM is built with createElement/textContent only.
(function () {
  'use strict';
  const NUM = new Intl.NumberFormat('vi-VN', { maximumFractionDigits: 1 });
  const NUM0 = new Intl.NumberFormat('vi-VN', { maximumFractionDigits: 0 });
  const COLORS = { free: '#2e9e44', busy: '#e3b505', slow: '#ef7d22', jam: '#c62828', none: '#9aa5b1' };
  const fmt = v => (typeof v === 'number' && Number.isFinite(v) ? NUM.format(v) : '—');
  const hm = iso => (iso ? `${iso.slice(11, 16)} ${iso.slice(8, 10)}/${iso.slice(5, 7)}/${iso.slice(0, 4)}` : '—');
  const esc = s => String(s).replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));

  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }

  function json(id) {
    const node = document.getElementById(id);
    if (!node) return null;
    try { return JSON.parse(node.textContent); } catch (e) { return null; }
  }

  async function getJSON(url) {
    const r = await fetch(url, { headers: { Accept: 'application/json' }, credentials: 'same-origin' });
    if (!r.ok) {
      let msg = `Lỗi ${r.status}`;
      try { const b = await r.json(); if (b && b.detail) msg = typeof b.detail === 'string' ? b.detail : msg; } catch (e) { /* keep */ }
      throw new Error(msg);
    }
    return r.json();
  }

  // ------------------------------------------------------------------------------------------- traffic

  function trafficPage() {
    const data = json('traffic-data');
    const mapEl = document.getElementById('traffic-map');
    if (!data || !mapEl || !window.echarts) return;
    const chart = echarts.init(mapEl);
    let horizon = '15';
    const modelLabel = m => (data.models && data.models[m]) || m;

    function lines() {
      return data.links.filter(l => l.coords && l.coords.length >= 2).map(l => {
        const f = l.forecasts[horizon];
        const level = f ? f.congestion : 'none';
        return { name: l.code, coords: l.coords, link: l, lineStyle: { color: COLORS[level], width: l.main ? 5 : 3 } };
      });
    }

    function tooltip(p) {
      const l = p.data && p.data.link;
      if (!l) return esc(p.name || '');
      const f = l.forecasts[horizon];
      const lines = [esc(l.name)];
      if (l.commune) lines.push(esc(l.commune));
      if (f) {
        lines.push(`Sau ${horizon} phút (${esc(hm(f.time))}): ${esc(fmt(f.value))} km/h (${esc(fmt(f.lower))}–${esc(fmt(f.upper))})`);
        lines.push(`${esc((data.congestion || {})[f.congestion] || '')} · ${esc(modelLabel(f.model))}`);
      } else {
        lines.push('Chưa có dự báo');
      }
      return lines.join('<br>');
    }

    function draw(geo) {
      const option = {
        tooltip: { trigger: 'item', formatter: tooltip },
        series: [{ type: 'lines', coordinateSystem: geo ? 'geo' : 'cartesian2d', polyline: true, data: lines(), zlevel: 2,
          emphasis: { lineStyle: { width: 8 } } }],
      };
      if (geo) {
        option.geo = { map: 'communes', roam: true, itemStyle: { areaColor: '#f3f6f9', borderColor: '#b9c4cf' },
          emphasis: { itemStyle: { areaColor: '#e2e8ef' }, label: { show: false } }, label: { show: false },
          tooltip: { show: true, formatter: p => esc(p.name) } };
      } else {
        const xs = data.links.flatMap(l => l.coords.map(c => c[0]));
        const ys = data.links.flatMap(l => l.coords.map(c => c[1]));
        option.xAxis = { type: 'value', min: Math.min(...xs) - 0.02, max: Math.max(...xs) + 0.02, show: false };
        option.yAxis = { type: 'value', min: Math.min(...ys) - 0.02, max: Math.max(...ys) + 0.02, show: false };
      }
      chart.setOption(option, true);
    }

    let geoInfo = null;
    fetch('/api/v1/units/boundaries.geojson', { credentials: 'same-origin' })
      .then(r => (r.ok ? r.json() : null))
      .then(gj => {
        if (gj && gj.features && gj.features.length) {
          echarts.registerMap('communes', gj);
          geoInfo = {};
        }
        draw(geoInfo);
      })
      .catch(() => draw(null));

    document.querySelectorAll('.fc-horizon').forEach(b => b.addEventListener('click', () => {
      horizon = b.dataset.horizon;
      document.querySelectorAll('.fc-horizon').forEach(x => x.classList.toggle('active', x === b));
      chart.setOption({ series: [{ data: lines() }] });
    }));
    chart.on('click', p => { if (p.seriesType === 'lines' && p.data) showLink(p.data.name); });
    document.querySelectorAll('a.fc-link').forEach(a => a.addEventListener('click', ev => {
      ev.preventDefault();
      showLink(a.dataset.link);
      history.replaceState(null, '', `/giao-thong?link=${encodeURIComponent(a.dataset.link)}`);
      document.getElementById('link-detail').scrollIntoView({ behavior: 'smooth', block: 'start' });
    }));
    window.addEventListener('resize', () => chart.resize());

    const detailChart = echarts.init(document.getElementById('link-chart'));
    const dailyChart = echarts.init(document.getElementById('profile-daily'));
    const weeklyChart = echarts.init(document.getElementById('profile-weekly'));
    window.addEventListener('resize', () => { detailChart.resize(); dailyChart.resize(); weeklyChart.resize(); });

    async function showLink(code) {
      const title = document.getElementById('link-title');
      title.textContent = 'Đang tải…';
      let d;
      try {
        d = await getJSON(`/api/v1/forecasts/traffic/links/${encodeURIComponent(code)}`);
      } catch (e) {
        title.textContent = `Không tải được đoạn đường: ${e.message}`;
        return;
      }
      title.textContent = `${d.name}${d.main ? ' (trục chính)' : ''}`;
      const recent = d.recent.map(r => [r.time, r.value]);
      const fc = d.forecasts.map(f => [f.time, f.value]);
      const lastObs = recent.length ? recent[recent.length - 1] : null;
      const band = d.forecasts.map(f => [f.time, f.lower, f.upper]);
      detailChart.setOption({
        tooltip: { trigger: 'axis', formatter: ps => ps.map(p => `${esc(p.seriesName)}: ${esc(fmt(p.value[1]))} km/h`).join('<br>') },
        legend: { data: ['Đo được', 'Dự báo', 'Khoảng 80 %'] },
        grid: { left: 40, right: 16, top: 36, bottom: 28 },
        xAxis: { type: 'time' },
        yAxis: { type: 'value', name: 'km/h', min: 0 },
        series: [
          { name: 'Đo được', type: 'line', showSymbol: false, data: recent, lineStyle: { color: '#1f4e79' } },
          { name: 'Dự báo', type: 'line', data: lastObs ? [lastObs, ...fc] : fc, lineStyle: { type: 'dashed', color: '#c62828' }, itemStyle: { color: '#c62828' } },
          { name: 'Khoảng 80 %', type: 'line', data: band.map(b => [b[0], b[1]]), lineStyle: { opacity: 0 }, stack: 'band', symbol: 'none' },
          { name: 'Khoảng 80 %', type: 'line', data: band.map(b => [b[0], b[2] - b[1]]), lineStyle: { opacity: 0 }, areaStyle: { color: 'rgba(198,40,40,.18)' }, stack: 'band', symbol: 'none' },
        ],
      }, true);
      const tbody = document.querySelector('#link-forecasts tbody');
      tbody.replaceChildren();
      d.forecasts.forEach(f => {
        const tr = el('tr');
        tr.append(el('td', `${f.horizon} phút`), el('td', hm(f.time)), el('td', `${fmt(f.value)} km/h`),
          el('td', `${fmt(f.lower)}–${fmt(f.upper)}`), el('td', modelLabel(f.model)), el('td', fmt(f.backtest_rmse)),
          el('td', `${modelLabel(f.baseline)}: ${fmt(f.baseline_rmse)}`));
        tbody.append(tr);
      });
      if (!d.forecasts.length) {
        const tr = el('tr'); const td = el('td', 'Chưa có dự báo cho đoạn này.', 'muted'); td.colSpan = 7; tr.append(td); tbody.append(tr);
      }
      const slots = Array.from({ length: 96 }, (_, i) => `${String(Math.floor(i / 4)).padStart(2, '0')}:${String((i % 4) * 15).padStart(2, '0')}`);
      dailyChart.setOption({
        tooltip: { trigger: 'axis' }, legend: { data: ['Ngày làm việc', 'Cuối tuần'] },
        grid: { left: 40, right: 16, top: 30, bottom: 28 },
        xAxis: { type: 'category', data: slots }, yAxis: { type: 'value', name: 'km/h', min: 0 },
        series: [{ name: 'Ngày làm việc', type: 'line', showSymbol: false, data: d.profile.daily.working_day || [] },
          { name: 'Cuối tuần', type: 'line', showSymbol: false, data: d.profile.daily.weekend || [] }],
      }, true);
      const cells = [];
      (d.profile.weekly || []).forEach((row, day) => row.forEach((v, h) => { if (v !== null) cells.push([h, day, v]); }));
      weeklyChart.setOption({
        tooltip: { formatter: p => `${esc(d.weekdays[p.value[1]])}, ${p.value[0]} giờ: ${esc(fmt(p.value[2]))} km/h` },
        grid: { left: 70, right: 16, top: 10, bottom: 50 },
        xAxis: { type: 'category', data: Array.from({ length: 24 }, (_, i) => `${i}h`) },
        yAxis: { type: 'category', data: d.weekdays },
        visualMap: { min: 0, max: d.free_flow, calculable: false, orient: 'horizontal', left: 'center', bottom: 0, itemHeight: 80,
          inRange: { color: ['#c62828', '#ef7d22', '#e3b505', '#2e9e44'] } },
        series: [{ type: 'heatmap', data: cells }],
      }, true);
    }

    const selected = document.getElementById('traffic-config').dataset.selected;
    const first = selected || (data.links.find(l => l.main && l.forecasts['15'] && l.forecasts['15'].congestion === 'jam') || data.links[0] || {}).code;
    if (first) showLink(first);
  }

  // ------------------------------------------------------------------------------------------- waste

  function wastePage() {
    const form = document.getElementById('waste-form');
    const chartEl = document.getElementById('waste-chart');
    if (!form || !chartEl || !window.echarts) return;
    const chart = echarts.init(chartEl);
    window.addEventListener('resize', () => chart.resize());
    const summary = document.getElementById('waste-summary');

    function render(r) {
      const ys = r.years;
      const cap = r.capacity || {};
      const series = [
        { name: 'Đô thị', type: 'bar', stack: 'w', data: ys.map(y => y.urban) },
        { name: 'Nông thôn', type: 'bar', stack: 'w', data: ys.map(y => y.rural) },
        { name: 'Năng lực thu gom cần', type: 'line', data: ys.map(y => y.collection_capacity_needed) },
        { name: 'Năng lực xử lý cần', type: 'line', data: ys.map(y => y.treatment_capacity_needed) },
      ];
      if (typeof cap.treatment_tonnes_per_day === 'number') {
        series.push({ name: 'Năng lực xử lý hiện có', type: 'line', data: ys.map(() => cap.treatment_tonnes_per_day), lineStyle: { type: 'dashed' }, symbol: 'none' });
      }
      if (typeof cap.collection_tonnes_per_day === 'number') {
        series.push({ name: 'Năng lực thu gom hiện có', type: 'line', data: ys.map(() => cap.collection_tonnes_per_day), lineStyle: { type: 'dotted' }, symbol: 'none' });
      }
      chart.setOption({
        tooltip: { trigger: 'axis', formatter: ps => ps.map(p => `${esc(p.seriesName)}: ${esc(fmt(p.value))} tấn/ngày`).join('<br>') },
        legend: { type: 'scroll' }, grid: { left: 50, right: 16, top: 40, bottom: 28 },
        xAxis: { type: 'category', data: ys.map(y => String(y.year)) }, yAxis: { type: 'value', name: 'tấn/ngày' }, series,
      }, true);
      const last = ys[ys.length - 1];
      let text = `Năm ${last.year}: phát sinh ${fmt(last.tonnes_per_day)} tấn/ngày (năm ${ys[0].year}: ${fmt(ys[0].tonnes_per_day)}); cần năng lực thu gom ${fmt(last.collection_capacity_needed)} và xử lý ${fmt(last.treatment_capacity_needed)} tấn/ngày.`;
      if (typeof cap.treatment_tonnes_per_day === 'number') {
        const gap = last.treatment_capacity_needed - cap.treatment_tonnes_per_day;
        text += gap > 0 ? ` Thiếu ${fmt(gap)} tấn/ngày công suất xử lý so với hiện tại.` : ` Công suất xử lý hiện tại đủ (dư ${fmt(-gap)} tấn/ngày).`;
      }
      summary.textContent = text;
      const tbody = document.querySelector('#waste-table tbody');
      tbody.replaceChildren();
      ys.forEach(y => {
        const tr = el('tr');
        [String(y.year), NUM0.format(y.population), fmt(y.urban_share), fmt(y.tonnes_per_day), fmt(y.urban), fmt(y.rural),
          fmt(y.collection_rate), fmt(y.collection_capacity_needed), fmt(y.treatment_capacity_needed)].forEach(t => tr.append(el('td', t)));
        tbody.append(tr);
      });
    }

    function query() {
      const q = new URLSearchParams();
      form.querySelectorAll('select, input').forEach(i => {
        if (!i.name || i.value === '') return;
        if (i.dataset.optional && i.dataset.unset) return;
        q.set(i.name, i.value);
      });
      return q;
    }

    let timer = null;
    async function update() {
      try {
        render(await getJSON(`/api/v1/forecasts/waste?${query().toString()}`));
      } catch (e) {
        summary.textContent = `Không tính được: ${e.message}`;
      }
    }
    form.addEventListener('input', ev => {
      const t = ev.target;
      if (t.type === 'range') {
        delete t.dataset.unset;
        const out = form.querySelector(`output[data-for="${t.name}"]`);
        if (out) out.textContent = t.value;
        const copy = document.querySelector(`#waste-save input[data-copy="${t.name}"]`);
        if (copy) copy.value = t.value;
      }
      clearTimeout(timer);
      timer = setTimeout(update, 250);
    });
    form.addEventListener('change', ev => {
      if (ev.target.name === 'scenario') {
        const s = ev.target.value;
        window.location.href = s ? `/du-bao/chat-thai?scenario=${encodeURIComponent(s)}` : '/du-bao/chat-thai';
      }
    });
    form.addEventListener('submit', ev => ev.preventDefault());
    const initial = json('waste-initial');
    if (initial && initial.years) render(initial);
  }

  // ------------------------------------------------------------------------------------------- tiles

  async function tiles() {
    const nodes = Array.from(document.querySelectorAll('[data-forecast-code]'));
    if (!nodes.length) return;
    const codes = [...new Set(nodes.map(n => n.dataset.forecastCode))];
    let all;
    try { all = await getJSON(`/api/v1/forecasts/targets?codes=${encodeURIComponent(codes.join(','))}`); } catch (e) { return; }
    nodes.forEach(n => {
      const f = all[n.dataset.forecastCode];
      if (!f || !f.shown || f.forecast === null) return;
      n.textContent = `Dự báo cả năm ${f.year}: ${fmt(f.forecast)} ${f.unit === '%' ? '%' : f.unit} · khả năng đạt ${NUM0.format(f.probability_target_met * 100)} %`;
      n.classList.add('fc-tile-forecast');
      n.hidden = false;
    });
  }

  document.addEventListener('DOMContentLoaded', () => { trafficPage(); wastePage(); tiles(); });
})();
