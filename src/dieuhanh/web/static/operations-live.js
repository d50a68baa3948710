// Shared by the operations room (/operations) and the wall's «Sự kiện» board: the live connection (server-sent
// events from /api/v1/events/stream, reconnecting with Last-Event-ID so nothing is missed), the map's base layer
// and small helpers. Data is put into the page with textContent/createElement only; ECharts tooltips get text
// escaped by esc().
(function () {
  'use strict';

  const SEVERITY_COLORS = { critical: '#ff4d4f', major: '#fa8c16', minor: '#fadb14', info: '#5aa9e6' };
  const SEVERITY_SIZES = { critical: 18, major: 14, minor: 11, info: 9 };
  const SEVERITY_LABELS = { critical: 'Khẩn cấp', major: 'Nghiêm trọng', minor: 'Nhẹ', info: 'Thông tin' };

  function esc(text) {
    return String(text == null ? '' : text).replace(/[&<>"']/g, (c) => (
      { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  async function getJson(url) {
    const response = await fetch(url, { credentials: 'same-origin', cache: 'no-store',
                                        headers: { Accept: 'application/json' } });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return response.json();
  }

  // connect({onEvents, onUpdate, onIncident, onState}) → the EventSource wrapper. The browser reconnects by itself
  // (sending Last-Event-ID); after a `reload` message (this client fell too far behind) we reconnect fresh.
  // `ready` resolves once the server holds this client's subscription (its first `hello`; after 5 s in any case):
  // a page loads its list after that, so an event committed between the list and the stream is not lost (it may
  // come twice, and pages keep events by id).
  function connect(handlers) {
    let source = null;
    let lastId = null;
    let subscribed = null;
    const ready = new Promise((resolve) => { subscribed = resolve; setTimeout(resolve, 5000); });
    function open() {
      const url = lastId ? `/api/v1/events/stream?after=${lastId}` : '/api/v1/events/stream';
      source = new EventSource(url, { withCredentials: true });
      source.addEventListener('hello', () => { subscribed(); if (handlers.onState) handlers.onState('live'); });
      source.addEventListener('events', (m) => {
        if (m.lastEventId) lastId = m.lastEventId;
        handlers.onEvents && handlers.onEvents(JSON.parse(m.data).items || []);
      });
      source.addEventListener('event_update', (m) => handlers.onUpdate && handlers.onUpdate(JSON.parse(m.data).items || []));
      source.addEventListener('incident', (m) => handlers.onIncident && handlers.onIncident(JSON.parse(m.data)));
      source.addEventListener('reload', () => { source.close(); setTimeout(open, 500); });
      source.onerror = () => handlers.onState && handlers.onState(source.readyState === 2 ? 'lost' : 'connecting');
      source.onopen = () => handlers.onState && handlers.onState('live');
    }
    open();
    return { close: () => source && source.close(), ready };
  }

  let boundaries = null;
  async function registerProvince(name) {
    if (boundaries === null) {
      try { boundaries = await getJson('/api/v1/units/boundaries.geojson'); } catch (err) { boundaries = { features: [] }; }
    }
    if (boundaries.features && boundaries.features.length) echarts.registerMap(name, boundaries);
    return Boolean(boundaries.features && boundaries.features.length);
  }

  function timeText(iso) {
    if (!iso) return '';
    const d = new Date(iso);
    const local = new Date(d.getTime() + 7 * 3600 * 1000);
    const p = (n) => String(n).padStart(2, '0');
    return `${p(local.getUTCHours())}:${p(local.getUTCMinutes())} ${p(local.getUTCDate())}/${p(local.getUTCMonth() + 1)}`;
  }

  // A short tone pattern (Web Audio: nothing to download). Kiosk browsers must allow autoplay
  // (Chromium: --autoplay-policy=no-user-gesture-required); otherwise the first click unlocks it.
  let audio = null;
  function beep(times) {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      if (audio.state === 'suspended') audio.resume();
      for (let i = 0; i < (times || 3); i += 1) {
        const osc = audio.createOscillator();
        const gain = audio.createGain();
        osc.type = 'square';
        osc.frequency.value = i % 2 ? 660 : 880;
        gain.gain.value = 0.15;
        osc.connect(gain).connect(audio.destination);
        const start = audio.currentTime + i * 0.35;
        osc.start(start);
        osc.stop(start + 0.25);
      }
      return audio.state === 'running';
    } catch (err) {
      return false;
    }
  }
  document.addEventListener('click', () => { if (audio && audio.state === 'suspended') audio.resume(); });

  window.OpsLive = { SEVERITY_COLORS, SEVERITY_SIZES, SEVERITY_LABELS, esc, el, getJson, connect, registerProvince,
                     timeText, beep };
})();
