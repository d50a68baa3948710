// The wall's «Sự kiện» board (/wall?board=events) and, on every wall board, the alarm for a new critical event:
// the screen flashes with the event's title and a tone sounds (see OpsLive.beep on autoplay).
(function () {
  'use strict';

  const L = window.OpsLive;
  const FEED_MAX = 14;
  const ALARM_MS = 20000;
  const events = new Map();
  let container = null;
  let chart = null;
  let hasMap = null;
  let alarmTimer = null;

  function item(e) {
    const li = L.el('li', `sev-${e.severity}`);
    li.dataset.testid = 'wall-event';
    li.append(L.el('span', 't', e.title),
              L.el('span', 'm', `${L.timeText(e.occurred_at)} · ${e.type_name} · ${e.severity_label} · ${e.unit_name || ''}`));
    return li;
  }

  function sorted() {
    return [...events.values()].filter((e) => e.status !== 'cancelled')
      .sort((a, b) => (b.occurred_at > a.occurred_at ? 1 : -1));
  }

  function render() {
    if (!container) return;
    const list = container.querySelector('ol');
    list.replaceChildren(...sorted().slice(0, FEED_MAX).map(item));
    if (!chart || typeof echarts === 'undefined') return;
    const coord = hasMap ? 'geo' : 'cartesian2d';
    const points = sorted().filter((e) => e.lat != null).slice(0, 400);
    const option = {
      animation: false,
      series: [
        { id: 'events', type: 'scatter', coordinateSystem: coord,
          data: points.map((e) => ({ value: [e.lon, e.lat], symbolSize: L.SEVERITY_SIZES[e.severity] + 4,
                                     itemStyle: { color: e.color, borderColor: L.SEVERITY_COLORS[e.severity], borderWidth: 2 } })) },
        { id: 'critical', type: 'effectScatter', coordinateSystem: coord, rippleEffect: { scale: 5 },
          data: points.filter((e) => e.severity === 'critical' && Date.now() - new Date(e.occurred_at).getTime() < 3600e3)
            .map((e) => ({ value: [e.lon, e.lat], symbolSize: 16, itemStyle: { color: '#ff4d4f' } })) },
      ],
    };
    if (hasMap) {
      option.geo = { map: 'wall-events', roam: false, silent: true, label: { show: false },
                     itemStyle: { areaColor: '#16233a', borderColor: '#33486a', borderWidth: 0.6 } };
    } else {
      option.xAxis = { show: false, scale: true }; option.yAxis = { show: false, scale: true };
    }
    chart.setOption(option, { replaceMerge: ['series'] });
  }

  async function load() {
    const since = new Date(Date.now() - 24 * 3600 * 1000).toISOString();
    try {
      const data = await L.getJson(`/api/v1/events?page_size=200&since=${encodeURIComponent(since)}`);
      data.items.forEach((e) => events.set(e.id, e));
    } catch (err) { /* shown when the stream brings events */ }
    render();
  }

  function alarm(e) {
    let box = document.getElementById('ops-wall-alarm');
    if (!box) {
      box = L.el('div', 'ops-wall-alarm');
      box.id = 'ops-wall-alarm';
      box.dataset.testid = 'wall-alarm';
      box.append(L.el('div', 'msg'));
      document.body.append(box);
    }
    box.querySelector('.msg').textContent = `${e.type_name}: ${e.title}${e.unit_name ? ` — ${e.unit_name}` : ''}`;
    box.hidden = false;
    L.beep(4);
    clearTimeout(alarmTimer);
    alarmTimer = setTimeout(() => { box.hidden = true; }, ALARM_MS);
  }

  const live = L.connect({
    onEvents: (items) => {
      let newest = null;
      items.forEach((e) => {
        const known = events.has(e.id);
        events.set(e.id, e);
        if (!known && e.severity === 'critical' && Date.now() - new Date(e.occurred_at).getTime() < 600e3) newest = e;
      });
      if (newest) alarm(newest);
      render();
    },
    onUpdate: (items) => { items.forEach((e) => events.set(e.id, e)); render(); },
  });

  window.wallPanels = window.wallPanels || {};
  window.wallPanels.events = {
    async show(node) {
      container = node;
      const mapBox = L.el('section', 'ops-wall-map');
      const inner = L.el('div');
      inner.dataset.testid = 'wall-events-map';
      mapBox.append(inner);
      const feed = L.el('section', 'ops-wall-feed');
      const list = L.el('ol');
      list.dataset.testid = 'wall-events-feed';
      feed.append(L.el('h2', '', 'Sự kiện trực tiếp'), list);
      node.replaceChildren(mapBox, feed);
      if (typeof echarts !== 'undefined') {
        if (hasMap === null) hasMap = await L.registerProvince('wall-events');
        chart = echarts.init(inner, null, { renderer: 'canvas' });
      }
      await live.ready;
      if (!events.size) await load();
      render();
    },
    hide() {
      if (chart) { chart.dispose(); chart = null; }
      container = null;
    },
  };
  window.addEventListener('resize', () => { if (chart) chart.resize(); });
})();
