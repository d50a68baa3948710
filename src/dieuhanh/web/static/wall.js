// Wall screen (/wall): a playlist of boards that advances and refreshes by itself and survives network or server
// restarts without anyone touching the PC.
//
// Every `interval` seconds the next screen is shown: the next page of tiles of the current board, or the next
// board, whose content is fetched fresh from GET /api/v1/boards/{slug}/view. A failed fetch keeps the last content
// on screen, shows a discreet banner and retries with exponential backoff (2, 4, 8, 16, 30, 30 … s) until the
// server answers again. The page reloads itself only when the server is known to be up (right after a successful
// fetch): once an hour (long-running browsers leak memory) and when the server's build changes (new release).
(function () {
  'use strict';

  const config = JSON.parse(document.getElementById('wall-config').textContent);
  const $ = (id) => document.getElementById(id);
  const MAX_BACKOFF_MS = 30000;
  const FETCH_TIMEOUT_MS = 15000;
  const RELOAD_AFTER_MS = 3600 * 1000;
  const loadedAt = Date.now();
  // The status labels of the indicator set (indicators/rules.py); a tile sends its own label.
  const STATUS_LABELS = { good: 'Đạt', warning: 'Gần đạt', critical: 'Chưa đạt', neutral: 'Theo dõi',
                          nodata: 'Chưa có số liệu' };
  const STATUS_COLORS = { good: '#2ecc71', warning: '#f5b43c', critical: '#ff5d5d', neutral: '#5aa9e6',
                          nodata: '#6b7a90' };

  let boardIndex = -1;   // board on screen
  let pageIndex = 0;     // page of its tiles on screen
  let view = null;       // its last content
  let failures = 0;
  let timer = null;
  let charts = [];
  let mapChart = null;
  let geo = null;        // province boundaries (fetched once)

  // ------------------------------------------------------------------------------------------ clock
  // Viet Nam keeps UTC+7 all year (no daylight saving), so local time is plain arithmetic; this does not depend
  // on the kiosk's own time zone setting.
  const pad = (n) => String(n).padStart(2, '0');
  function tick() {
    const d = new Date(Date.now() + 7 * 3600 * 1000);
    $('wall-time').textContent = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
    $('wall-date').textContent = `${pad(d.getUTCDate())}/${pad(d.getUTCMonth() + 1)}/${d.getUTCFullYear()}`;
  }
  tick();
  setInterval(tick, 1000);

  // ------------------------------------------------------------------------------------------ fetching
  function viewUrl(slug) {
    const url = config.api.replace('{slug}', encodeURIComponent(slug));
    return config.unit ? `${url}?unit=${encodeURIComponent(config.unit)}` : url;
  }

  async function getJson(url) {
    const controller = new AbortController();
    const timeout = setTimeout(() => controller.abort(), FETCH_TIMEOUT_MS);
    try {
      const response = await fetch(url, { credentials: 'same-origin', cache: 'no-store', signal: controller.signal,
                                          headers: { Accept: 'application/json' } });
      if (response.status === 401) {
        // The session ended (password changed, account disabled): the server is up, the login page will show.
        location.reload();
        throw new Error('Phiên đăng nhập đã hết');
      }
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      return await response.json();
    } finally {
      clearTimeout(timeout);
    }
  }

  function showBanner(delayMs) {
    const banner = $('wall-banner');
    banner.textContent = `Mất kết nối — đang thử lại… (sau ${Math.round(delayMs / 1000)} giây)`;
    banner.hidden = false;
  }

  function hideBanner() {
    $('wall-banner').hidden = true;
  }

  // ------------------------------------------------------------------------------------------ playlist
  // A board item is a KPI tile, a chart, a commune table or a map; on the wall every indicator is one tile (with
  // its sparkline) and the board's map item is the choropleth beside them.
  function wallTiles(v) {
    const seen = new Set();
    return ((v && v.tiles) || []).filter((t) => {
      if (t.chart_kind === 'map' || seen.has(t.code)) return false;
      seen.add(t.code);
      return true;
    });
  }

  function perPage(v) {
    return v && v.map ? config.tiles_with_map : config.tiles_per_screen;
  }

  function pageCount(v) {
    return Math.max(1, Math.ceil(wallTiles(v).length / perPage(v)));
  }

  function schedule(ms) {
    clearTimeout(timer);
    timer = setTimeout(advance, ms);
  }

  // Live panels of other modules (the operations room's «Sự kiện»): their own script draws them and keeps them
  // live; the playlist only shows and hides them.
  const panels = window.wallPanels || {};
  let panelShown = null;

  function showPanel(index) {
    const entry = config.boards[index];
    boardIndex = index;
    pageIndex = 0;
    view = null;
    document.title = `${entry.title} — Màn hình điều hành`;
    $('wall-title').textContent = entry.title;
    $('wall-position').textContent = `Bảng ${index + 1}/${config.boards.length}`;
    $('wall-dots').replaceChildren(...config.boards.map((b, i) => el('i', i === index ? 'on' : '')));
    document.body.dataset.board = entry.slug;
    if (panelShown === entry.slug) return;
    hidePanel();
    disposeCharts();
    $('wall-main').hidden = true;
    $('wall-panel').hidden = false;
    panelShown = entry.slug;
    if (panels[entry.slug]) panels[entry.slug].show($('wall-panel'));
    else $('wall-panel').replaceChildren(el('div', 'wall-empty', 'Bảng này chưa sẵn sàng.'));
  }

  function hidePanel() {
    if (panelShown === null) return;
    if (panels[panelShown] && panels[panelShown].hide) panels[panelShown].hide();
    panelShown = null;
    $('wall-panel').hidden = true;
    $('wall-main').hidden = false;
  }

  async function advance() {
    if (!config.boards.length) return;
    const upcoming = view && pageIndex + 1 < pageCount(view) ? null : (boardIndex + 1) % config.boards.length;
    if (upcoming !== null && config.boards[upcoming].panel) {
      if (Date.now() - loadedAt > RELOAD_AFTER_MS) { location.reload(); return; }
      showPanel(upcoming);
      schedule(config.interval * 1000);
      return;
    }
    if (view && pageIndex + 1 < pageCount(view)) {
      pageIndex += 1;
      render();
      schedule(config.interval * 1000);
      return;
    }
    const next = (boardIndex + 1) % config.boards.length;
    let fresh;
    try {
      fresh = await getJson(viewUrl(config.boards[next].slug));
    } catch (err) {
      failures += 1;
      const delay = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** failures);
      showBanner(delay);
      schedule(delay);  // keep the last content; try the same board again
      return;
    }
    failures = 0;
    hideBanner();
    if (fresh.build && fresh.build !== config.build) { location.reload(); return; }
    if (Date.now() - loadedAt > RELOAD_AFTER_MS) { location.reload(); return; }
    boardIndex = next;
    pageIndex = 0;
    view = fresh;
    hidePanel();
    render();
    schedule(config.interval * 1000);
  }

  // ------------------------------------------------------------------------------------------ rendering
  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  // 1234.5 → 1.234,5 (the server's format_number, for the map legend)
  function formatNumber(x) {
    const digits = Math.abs(x) >= 100 || Number.isInteger(x) ? (Number.isInteger(x) ? 0 : 1) : 2;
    const [int, frac] = Math.abs(x).toFixed(digits).split('.');
    return (x < 0 ? '−' : '') + int.replace(/\B(?=(\d{3})+(?!\d))/g, '.') + (frac ? `,${frac}` : '');
  }

  function disposeCharts() {
    charts.forEach((c) => c.dispose());
    charts = [];
  }

  function render() {
    const v = view;
    const board = config.boards[boardIndex];
    document.title = `${v.board.title} — Màn hình điều hành`;
    $('wall-title').textContent = v.board.title;
    $('wall-unit').textContent = v.unit_name || '';
    $('wall-updated').textContent = v.updated_text ? `Cập nhật lúc ${v.updated_text}` : 'Chưa có số liệu';
    const pages = pageCount(v);
    $('wall-position').textContent = `Bảng ${boardIndex + 1}/${config.boards.length}`
      + (pages > 1 ? ` · trang ${pageIndex + 1}/${pages}` : '');
    const dots = $('wall-dots');
    dots.replaceChildren(...config.boards.map((b, i) => el('i', i === boardIndex ? 'on' : '')));
    document.body.dataset.board = board.slug;

    const main = $('wall-main');
    main.classList.toggle('with-map', Boolean(v.map));
    disposeCharts();
    const size = perPage(v);
    const tiles = wallTiles(v).slice(pageIndex * size, (pageIndex + 1) * size);
    const container = $('wall-tiles');
    if (!tiles.length) {
      container.replaceChildren(el('div', 'wall-empty', 'Bảng này chưa có chỉ số nào.'));
    } else {
      container.replaceChildren(...tiles.map(tileNode));
      tiles.forEach((t, i) => {
        const spark = container.children[i].querySelector('.tile-spark');
        if (spark) sparkline(spark, t);
      });
    }
    renderMap(v.map);
  }

  function tileNode(t) {
    const status = STATUS_LABELS[t.status] ? t.status : 'nodata';
    const tile = el(t.href ? 'a' : 'div', `wall-tile status-${status}`);
    if (t.href) tile.href = t.href;
    tile.dataset.code = t.code;
    tile.title = t.name;
    tile.append(el('div', 'tile-status', t.status_label || STATUS_LABELS[status]));
    if (t.stale) tile.append(el('div', 'tile-stale', t.stale_text || 'Số liệu cũ'));
    tile.append(el('div', 'tile-name', t.name));
    const value = el('div', 'tile-value');
    const text = t.value_text || '–';
    const big = el('span', 'v', text);
    if (text.length > 9) big.style.fontSize = '2.2rem';
    else if (text.length > 7) big.style.fontSize = '2.6rem';
    value.append(big);
    const shortUnit = t.unit && t.unit.length <= 8;
    if (t.value != null && shortUnit) value.append(el('span', 'u', t.unit));
    tile.append(value);
    tile.append(el('div', 'tile-unit', t.value != null && !shortUnit ? t.unit : ''));
    const meta = el('div', 'tile-meta');
    meta.append(el('span', '', `Kỳ ${t.period_text || t.period || '–'}${t.partial && t.as_of_text ? ` (${t.as_of_text})` : ''}`));
    if (t.target_text) meta.append(el('span', '', `Mục tiêu ${t.target_text}`));
    if (t.change_text) {
      const cls = t.change > 0 ? 'up' : t.change < 0 ? 'down' : 'flat';
      const arrow = t.change > 0 ? '▲' : t.change < 0 ? '▼' : '■';
      meta.append(el('span', cls, `${arrow} ${t.change_text}`));
    }
    if (t.current_period_text && t.current_text) {
      // The period that has not ended: counted as of now, compared like for like (never scored at face value).
      const current = `Kỳ ${t.current_period_text} ${t.as_of_text}: ${t.current_text}`
        + (t.current_change_text ? ` (${t.current_change_text})` : '');
      meta.append(el('span', 'current', current));
    }
    tile.append(meta);
    const points = (t.trend || []).filter((x) => x != null).length;
    tile.append(points >= 2 ? el('div', 'tile-spark') : el('div', 'tile-note', points ? 'Mới có số liệu một kỳ' : ''));
    return tile;
  }

  function sparkline(node, t) {
    const values = (t.trend || []).map((x) => (x == null ? null : Number(x)));
    if (typeof echarts === 'undefined' || values.filter((x) => x !== null).length < 2) return;
    const chart = echarts.init(node, null, { renderer: 'canvas' });
    const color = STATUS_COLORS[t.status] || STATUS_COLORS.neutral;
    chart.setOption({
      animation: false,
      grid: { left: 2, right: 2, top: 4, bottom: 2 },
      xAxis: { type: 'category', show: false, boundaryGap: false, data: t.trend_periods || values.map((_, i) => i) },
      yAxis: { type: 'value', show: false, scale: true },
      series: [{ type: 'line', data: values, symbol: 'none', smooth: 0.25, connectNulls: true,
                 lineStyle: { color, width: Math.max(2, node.clientHeight / 40) },
                 areaStyle: { color, opacity: 0.15 } }],
    });
    charts.push(chart);
  }

  async function renderMap(map) {
    const box = $('wall-map-chart');
    if (!map) {
      if (mapChart) { mapChart.dispose(); mapChart = null; }
      return;
    }
    $('wall-map-title').textContent = `${map.name} (${map.unit}) · kỳ ${map.period_text || map.period}`;
    if (typeof echarts === 'undefined') return;
    if (geo === null) {
      try { geo = await getJson(config.boundaries); } catch (err) { return; }  // drawn at the next refresh
      if (geo.features && geo.features.length) echarts.registerMap('wall-province', geo);
    }
    if (!mapChart) mapChart = echarts.init(box, null, { renderer: 'canvas' });
    const values = map.values || {};
    const numbers = Object.values(values).filter((x) => x !== null && x !== undefined);
    const min = numbers.length ? Math.min(...numbers) : 0;
    const max = numbers.length ? Math.max(...numbers) : 1;
    const rem = parseFloat(getComputedStyle(document.documentElement).fontSize);
    const visualMap = {
      min, max: max === min ? min + 1 : max, calculable: false, orient: 'vertical', left: rem * 0.5, bottom: rem * 0.5,
      itemHeight: rem * 5, itemWidth: rem * 0.7, textStyle: { color: '#9fb0c7', fontSize: rem * 0.7 },
      inRange: { color: ['#16324f', '#2b6cb0', '#5aa9e6', '#b9e3ff'] },
      outOfRange: { color: '#2a3447' },
      text: [formatNumber(max), formatNumber(min)], textGap: rem * 0.3,
    };
    if (geo.features && geo.features.length) {
      const data = geo.features.map((f) => {
        const item = { name: f.properties.code, value: values[f.properties.code] ?? null,
                       label: (map.names || {})[f.properties.code] || f.properties.name || '' };
        // A commune's board outlines its commune on the province map.
        if (f.properties.code === map.highlight) item.itemStyle = { borderColor: '#ffffff', borderWidth: 2.5 };
        return item;
      });
      mapChart.setOption({
        animation: false,
        visualMap,
        series: [{ type: 'map', map: 'wall-province', nameProperty: 'code', roam: false, data, selectedMode: false,
                   label: { show: false }, emphasis: { disabled: true },
                   itemStyle: { areaColor: '#2a3447', borderColor: '#0b1220', borderWidth: 0.5 } }],
      }, true);
    } else {
      // No imported boundaries: one square per commune, coloured the same way.
      const codes = Object.keys(values).sort();
      const cols = Math.max(1, Math.ceil(Math.sqrt(codes.length)));
      mapChart.setOption({
        animation: false,
        visualMap: { ...visualMap, dimension: 2 },
        xAxis: { show: false, min: -1, max: cols }, yAxis: { show: false, inverse: true, min: -1,
                                                             max: Math.ceil(codes.length / cols) },
        series: [{ type: 'scatter', symbol: 'rect', symbolSize: rem * 0.9,
                   data: codes.map((c, i) => [i % cols, Math.floor(i / cols), values[c]]) }],
      }, true);
    }
  }

  window.addEventListener('resize', () => {
    charts.forEach((c) => c.resize());
    if (mapChart) mapChart.resize();
  });

  if (!config.boards.length) {
    $('wall-tiles').replaceChildren(el('div', 'wall-empty', 'Chưa có bảng điều hành nào để trình chiếu.'));
  } else {
    advance();
  }
})();
