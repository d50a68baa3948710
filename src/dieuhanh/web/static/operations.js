// The operations room (/operations): map with layers, live feed, filters, timeline, details, incident creation.
(function () {
  'use strict';

  const L = window.OpsLive;
  const config = JSON.parse(document.getElementById('ops-config').textContent);
  const csrf = JSON.parse(document.getElementById('ops-csrf').textContent);
  const $ = (id) => document.getElementById(id);
  const el = L.el;
  const FEED_MAX = 300;
  const typeByCode = Object.fromEntries(config.types.map((t) => [t.code, t]));
  const communeName = Object.fromEntries(config.communes.map((c) => [c.code, c.name]));

  const state = { events: new Map(), cameras: [], sensors: [], incidents: new Map(), reports: [], hasMap: false };
  const layers = { events: true, cameras: true, sensors: true, incidents: true, reports: false };
  const LAYER_LABELS = { events: 'Sự kiện', cameras: 'Camera', sensors: 'Cảm biến', incidents: 'Sự cố đang xử lý',
                         reports: 'Phản ánh của người dân' };
  let chart = null;
  let timeline = null;
  let drawTimer = null;
  let timelineTimer = null;

  // ------------------------------------------------------------------------------------------ filters
  function fillFilters() {
    const type = $('f-type');
    config.types.forEach((t) => { const o = el('option', '', t.name); o.value = t.code; type.append(o); });
    const unit = $('f-unit');
    config.communes.forEach((c) => { const o = el('option', '', c.name); o.value = c.code; unit.append(o); });
    const sev = $('f-severity');
    config.severities.forEach((s) => {
      const label = el('label');
      const box = el('input');
      box.type = 'checkbox'; box.checked = true; box.value = s.code; box.dataset.testid = `sev-${s.code}`;
      label.append(box, el('span', '', s.name));
      sev.append(label);
    });
    const lay = $('f-layers');
    Object.keys(layers).forEach((key) => {
      const label = el('label');
      const box = el('input');
      box.type = 'checkbox'; box.checked = layers[key]; box.dataset.layer = key;
      box.addEventListener('change', () => { layers[key] = box.checked; if (key === 'reports' && box.checked) loadLayers(); draw(); });
      label.append(box, el('span', '', LAYER_LABELS[key]));
      lay.append(label);
    });
    ['f-type', 'f-unit'].forEach((id) => $(id).addEventListener('change', () => { renderFeed(); draw(); loadTimeline(); }));
    sev.addEventListener('change', () => { renderFeed(); draw(); loadTimeline(); });
    $('f-window').addEventListener('change', () => { loadEvents(); loadTimeline(); });
  }

  function filters() {
    const severities = [...document.querySelectorAll('#f-severity input:checked')].map((b) => b.value);
    return { type: $('f-type').value, unit: $('f-unit').value, severities, hours: Number($('f-window').value) };
  }

  function passes(e, f) {
    if (f.type && e.type !== f.type) return false;
    if (f.unit && e.unit_code !== f.unit) return false;
    if (!f.severities.includes(e.severity)) return false;
    const since = Date.now() - f.hours * 3600 * 1000;
    return new Date(e.occurred_at).getTime() >= since;
  }

  function query(f) {
    const params = new URLSearchParams();
    if (f.type) params.set('type', f.type);
    if (f.unit) params.set('unit', f.unit);
    if (f.severities.length && f.severities.length < 4) params.set('severity', f.severities.join(','));
    return params;
  }

  // ------------------------------------------------------------------------------------------ data
  async function loadEvents() {
    const f = filters();
    const params = new URLSearchParams({ page_size: '500', since: new Date(Date.now() - f.hours * 3600 * 1000).toISOString() });
    const data = await L.getJson(`/api/v1/events?${params}`);
    const top = data.items.reduce((m, e) => Math.max(m, e.id), 0);
    const newer = [...state.events.values()].filter((e) => e.id > top);  // came by the stream meanwhile
    state.events.clear();
    data.items.concat(newer).forEach((e) => state.events.set(e.id, e));
    renderFeed();
    draw();
  }

  async function loadLayers() {
    const data = await L.getJson('/api/v1/operations/layers');
    state.cameras = data.cameras; state.sensors = data.sensors; state.reports = data.reports;
    state.incidents = new Map(data.incidents.map((i) => [i.id, i]));
    renderIncidents();
    draw();
  }

  function renderIncidents() {
    const items = [...state.incidents.values()].filter((i) => i.state !== 'closed').sort((a, b) => b.id - a.id);
    $('ops-count-incidents').textContent = String(items.length);
    $('ops-incidents').replaceChildren(...items.slice(0, 12).map((i) => {
      const li = el('li');
      li.dataset.id = String(i.id);
      const a = el('a', '', `${i.code} · ${i.title}`);
      a.href = `/operations/incidents/${i.id}`;
      const meta = `${i.state_label}${i.escalation_level ? ` · leo thang cấp ${i.escalation_level}` : ''}`
        + (i.current_step ? ` · bước ${i.current_step.position}/${i.steps_total}` : '') + (i.overdue ? ' · quá hạn' : '');
      li.append(a, el('div', i.escalation_level || i.overdue ? 'crit' : 'muted', meta));
      return li;
    }));
  }

  async function loadNotices() {
    try {
      const items = await L.getJson('/api/v1/operations/notifications');
      $('ops-notices').replaceChildren(...items.slice(0, 8).map((n) => {
        const li = el('li');
        const a = el('a', '', n.title || '');
        a.href = n.url || '#';
        li.append(a, el('div', 'muted', L.timeText(n.at)));
        return li;
      }));
    } catch (err) { /* the room works without them */ }
  }

  async function loadTimeline() {
    const f = filters();
    const params = query(f);
    params.set('hours', String(f.hours));
    params.set('buckets', f.hours <= 6 ? '24' : '24');
    let data;
    try { data = await L.getJson(`/api/v1/events/timeline?${params}`); } catch (err) { return; }
    if (!timeline) timeline = echarts.init($('ops-timeline'), null, { renderer: 'canvas' });
    timeline.setOption({
      animation: false, grid: { left: 36, right: 12, top: 22, bottom: 22 },
      legend: { top: 0, right: 8, textStyle: { color: '#9fb0c7', fontSize: 11 }, itemWidth: 10, itemHeight: 8 },
      tooltip: { trigger: 'axis' },
      xAxis: { type: 'category', data: data.labels, axisLabel: { color: '#9fb0c7', fontSize: 10 } },
      yAxis: { type: 'value', minInterval: 1, axisLabel: { color: '#9fb0c7', fontSize: 10 },
               splitLine: { lineStyle: { color: '#25344c' } } },
      series: ['info', 'minor', 'major', 'critical'].map((s) => ({
        name: L.SEVERITY_LABELS[s], type: 'bar', stack: 'n', data: data.series[s],
        itemStyle: { color: L.SEVERITY_COLORS[s] } })),
    }, true);
  }

  // ------------------------------------------------------------------------------------------ feed
  function feedItem(e, fresh) {
    const li = el('li', `sev-${e.severity}${fresh ? ' fresh' : ''}${e.status === 'cancelled' ? ' cancelled' : ''}`);
    li.dataset.id = String(e.id);
    li.dataset.testid = 'feed-item';
    const kind = el('span', 'k', e.type_name);
    kind.style.background = e.color;
    li.append(kind, el('span', 't', e.title));
    li.append(el('div', 'm', `${L.timeText(e.occurred_at)} · ${e.severity_label} · ${e.unit_name || 'chưa rõ xã'}`
      + (e.status !== 'active' ? ` · ${e.status_label}` : '') + (e.incident_id ? ' · có sự cố' : '')));
    li.addEventListener('click', () => showEvent(e.id));
    return li;
  }

  function renderFeed() {
    const f = filters();
    const shown = [...state.events.values()].filter((e) => passes(e, f))
      .sort((a, b) => (b.occurred_at > a.occurred_at ? 1 : b.occurred_at < a.occurred_at ? -1 : b.id - a.id))
      .slice(0, FEED_MAX);
    $('ops-feed').replaceChildren(...shown.map((e) => feedItem(e, false)));
    $('ops-feed-count').textContent = `(${shown.length})`;
  }

  function addEvents(items) {
    const f = filters();
    const list = $('ops-feed');
    let critical = 0;
    items.forEach((e) => {
      const known = state.events.has(e.id);
      state.events.set(e.id, e);
      if (known || !passes(e, f)) return;
      list.prepend(feedItem(e, true));
      if (e.severity === 'critical') critical += 1;
    });
    while (list.children.length > FEED_MAX) list.lastChild.remove();
    $('ops-feed-count').textContent = `(${list.children.length})`;
    const today = $('ops-count-today');
    today.textContent = String(Number(today.textContent.replace(/\./g, '')) + items.length);
    if (critical) {
      const crit = $('ops-count-critical');
      crit.textContent = String(Number(crit.textContent.replace(/\./g, '')) + critical);
      L.beep(2);
    }
    scheduleDraw();
    clearTimeout(timelineTimer);
    timelineTimer = setTimeout(loadTimeline, 5000);
  }

  function updateEvents(items) {
    items.forEach((e) => state.events.set(e.id, e));
    renderFeed();
    scheduleDraw();
  }

  // ------------------------------------------------------------------------------------------ map
  function scheduleDraw() {
    if (drawTimer) return;
    drawTimer = setTimeout(() => { drawTimer = null; draw(); }, 300);
  }

  function tooltip(p) {
    const d = p.data && p.data.ref;
    if (!d) return L.esc(p.name);
    if (p.seriesId === 'events') return `${L.esc(d.type_name)} · ${L.esc(d.severity_label)}<br>${L.esc(d.title)}<br>${L.esc(L.timeText(d.occurred_at))} · ${L.esc(d.unit_name)}`;
    if (p.seriesId === 'cameras') return `Camera ${L.esc(d.name)}<br>${L.esc(d.status_label)}`;
    if (p.seriesId === 'sensors') return `${L.esc(d.name)}<br>${L.esc(d.last_value_text)} · ${L.esc(d.status_label)}`;
    if (p.seriesId === 'incidents') return `Sự cố ${L.esc(d.code)}<br>${L.esc(d.title)}<br>${L.esc(d.state_label)}`;
    if (p.seriesId === 'reports') return `Phản ánh ${L.esc(d.code)} · ${L.esc(d.status_label)}`;
    return L.esc(p.name);
  }

  function draw() {
    if (!chart) return;
    const f = filters();
    const coord = state.hasMap ? 'geo' : 'cartesian2d';
    const series = [];
    const point = (x, extra) => Object.assign({ value: [x.lon, x.lat], ref: x }, extra || {});
    if (layers.events) {
      const events = [...state.events.values()].filter((e) => e.lat != null && e.status !== 'cancelled' && passes(e, f));
      series.push({ id: 'events', type: 'scatter', coordinateSystem: coord, zlevel: 2,
        data: events.map((e) => point(e, { symbolSize: L.SEVERITY_SIZES[e.severity] || 10,
          itemStyle: { color: e.color, borderColor: L.SEVERITY_COLORS[e.severity], borderWidth: 2 } })) });
      const recent = events.filter((e) => e.severity === 'critical' && Date.now() - new Date(e.occurred_at).getTime() < 3600e3);
      series.push({ id: 'critical', type: 'effectScatter', coordinateSystem: coord, zlevel: 3, silent: true,
        rippleEffect: { scale: 4 }, data: recent.map((e) => point(e, { symbolSize: 12, itemStyle: { color: '#ff4d4f' } })) });
    }
    if (layers.cameras) {
      series.push({ id: 'cameras', type: 'scatter', coordinateSystem: coord, symbol: 'rect', symbolSize: 8, zlevel: 1,
        data: state.cameras.map((c) => point(c, { itemStyle: { color: c.status === 'online' ? '#2ecc71' : c.status === 'offline' ? '#ff4d4f' : '#8c8c8c' } })) });
    }
    if (layers.sensors) {
      series.push({ id: 'sensors', type: 'scatter', coordinateSystem: coord, symbol: 'triangle', symbolSize: 11, zlevel: 1,
        data: state.sensors.map((s) => point(s, { itemStyle: { color: ['#13c2c2', '#fadb14', '#fa8c16', '#ff4d4f'][s.alarm_level] || '#13c2c2' } })) });
    }
    if (layers.incidents) {
      series.push({ id: 'incidents', type: 'scatter', coordinateSystem: coord, symbol: 'pin', symbolSize: 30, zlevel: 4,
        data: [...state.incidents.values()].filter((i) => i.lat != null && i.state !== 'closed')
          .map((i) => point(i, { itemStyle: { color: i.overdue ? '#ff4d4f' : '#b37feb' } })) });
    }
    if (layers.reports) {
      series.push({ id: 'reports', type: 'scatter', coordinateSystem: coord, symbolSize: 5, zlevel: 1,
        data: state.reports.map((r) => point(r, { itemStyle: { color: '#d3adf7', opacity: 0.8 } })) });
    }
    const option = { animation: false, tooltip: { trigger: 'item', formatter: tooltip, confine: true }, series };
    if (state.hasMap) {
      option.geo = { map: 'ops-province', roam: true, nameProperty: 'code', selectedMode: false, label: { show: false },
        itemStyle: { areaColor: '#16233a', borderColor: '#33486a', borderWidth: 0.6 },
        emphasis: { itemStyle: { areaColor: '#1f3352' }, label: { show: false } },
        regions: f.unit ? [{ name: f.unit, itemStyle: { areaColor: '#24406a', borderColor: '#8cc8ff', borderWidth: 1.5 } }] : [] };
    } else {
      option.xAxis = { type: 'value', scale: true, show: false };
      option.yAxis = { type: 'value', scale: true, show: false };
    }
    chart.setOption(option, { replaceMerge: ['series'] });
  }

  // ------------------------------------------------------------------------------------------ details
  function detailBox(title) {
    const box = $('ops-detail');
    const close = el('button', 'close', '×');
    close.type = 'button';
    close.title = 'Đóng';
    close.addEventListener('click', () => { box.hidden = true; });
    box.replaceChildren(close, el('h3', '', title));
    box.hidden = false;
    return box;
  }

  function facts(pairs) {
    const dl = el('dl');
    pairs.forEach(([k, v]) => { if (v) dl.append(el('dt', '', k), el('dd', '', v)); });
    return dl;
  }

  async function showEvent(id) {
    let e = state.events.get(id);
    try { e = await L.getJson(`/api/v1/events/${id}`); } catch (err) { if (!e) return; }
    const box = detailBox(e.title);
    box.dataset.eventId = String(e.id);
    box.append(facts([['Loại', e.type_name], ['Mức độ', e.severity_label], ['Trạng thái', e.status_label],
      ['Thời điểm', e.occurred_text], ['Xã, phường', e.unit_name], ['Địa chỉ', e.address],
      ['Nguồn', e.source], ['Cơ quan báo', e.agency_name], ['Mô tả', e.description]]));
    if (e.incident_id) {
      const a = el('a', '', 'Xem sự cố của sự kiện này');
      a.href = `/operations/incidents/${e.incident_id}`;
      box.append(a);
    } else if (config.can_create_incident && e.status === 'active') {
      const button = el('button', 'ops-btn', 'Tạo sự cố từ sự kiện này');
      button.type = 'button';
      button.dataset.testid = 'create-incident';
      const message = el('div', 'muted');
      button.addEventListener('click', async () => {
        button.disabled = true;
        const response = await fetch('/api/v1/incidents', { method: 'POST', credentials: 'same-origin',
          headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf, Accept: 'application/json' },
          body: JSON.stringify({ title: e.title, type: config.type_incident[e.type] || 'other', event_ids: [e.id] }) });
        const body = await response.json();
        if (response.ok) { window.location.href = `/operations/incidents/${body.id}`; return; }
        message.textContent = body.detail || 'Không tạo được sự cố.';
        button.disabled = false;
      });
      box.append(button, message);
    }
    if (e.camera_id) showCameraInto(box, e.camera_id);
  }

  function showCameraInto(box, id) {
    const camera = state.cameras.find((c) => c.id === id);
    if (!camera || !camera.snapshot_url) return;
    const img = el('img');
    img.alt = `Ảnh mới nhất của camera ${camera.name}`;
    img.src = `${camera.snapshot_url}?t=${Date.now()}`;
    box.append(el('div', 'muted', `Camera ${camera.name} · ${camera.status_label}`), img);
  }

  async function showCamera(camera) {
    const box = detailBox(`Camera ${camera.name}`);
    box.append(facts([['Trạng thái', camera.status_label], ['Tín hiệu cuối', camera.last_heartbeat_text],
      ['Loại', camera.kind_label], ['Hãng', camera.vendor], ['Xã, phường', camera.unit_name], ['Quản lý', camera.owner_name]]));
    showCameraInto(box, camera.id);
    try {
      const data = await L.getJson(`/api/v1/cameras/${camera.id}`);
      const list = el('ol', 'ops-feed-list');
      data.events.slice(0, 8).forEach((ev) => list.append(feedItem(ev, false)));
      box.append(el('div', 'muted', 'Sự kiện gần đây của camera'), list);
    } catch (err) { /* the snapshot alone */ }
  }

  function showIncident(i) {
    const box = detailBox(`Sự cố ${i.code}`);
    box.append(facts([['Tiêu đề', i.title], ['Loại', i.type_name], ['Trạng thái', i.state_label],
      ['Cơ quan', i.agency_name], ['Bước hiện tại', i.current_step ? `${i.current_step.position}. ${i.current_step.title}` : ''],
      ['Hạn bước', i.current_step ? i.current_step.due_text : ''], ['Leo thang', i.escalation_level ? `cấp ${i.escalation_level}` : '']]));
    const a = el('a', '', 'Mở sự cố');
    a.href = `/operations/incidents/${i.id}`;
    box.append(a);
  }

  function showSensor(s) {
    const box = detailBox(s.name);
    box.append(facts([['Loại', s.kind_label], ['Sông', s.river], ['Số đo', s.last_value_text], ['Lúc', s.last_at],
      ['Báo động', s.alarm_level ? `mức ${['', 'I', 'II', 'III'][s.alarm_level]}` : 'dưới báo động I'],
      ['Xã, phường', s.unit_name]]));
  }

  // ------------------------------------------------------------------------------------------ start
  async function start() {
    fillFilters();
    chart = echarts.init($('ops-map'), null, { renderer: 'canvas' });
    state.hasMap = await L.registerProvince('ops-province');
    chart.on('click', (p) => {
      const d = p.data && p.data.ref;
      if (!d) return;
      if (p.seriesId === 'events') showEvent(d.id);
      else if (p.seriesId === 'cameras') showCamera(d);
      else if (p.seriesId === 'incidents') showIncident(d);
      else if (p.seriesId === 'sensors') showSensor(d);
    });
    window.addEventListener('resize', () => { chart.resize(); if (timeline) timeline.resize(); });
    const live = L.connect({
      onEvents: addEvents,
      onUpdate: updateEvents,
      onIncident: (i) => { state.incidents.set(i.id, i); if (i.state === 'closed') state.incidents.delete(i.id);
                           renderIncidents(); scheduleDraw(); loadNotices(); },
      onState: (s) => { const live = $('ops-live'); live.dataset.state = s;
                        live.textContent = s === 'live' ? 'Trực tiếp' : s === 'lost' ? 'Mất kết nối' : 'Đang kết nối lại…'; },
    });
    await Promise.all([live.ready.then(loadEvents), loadLayers(), loadTimeline(), loadNotices()]);
    const wanted = Number(new URLSearchParams(location.search).get('event'));
    if (wanted) showEvent(wanted);
    setInterval(loadLayers, 60000);
    setInterval(loadNotices, 60000);
  }

  start();
})();
