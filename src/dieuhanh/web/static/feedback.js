// Citizen field reports (phản ánh hiện trường): the report form (category, location by GPS / map / address,
// description counter, photo checks) and the public map. ECharts is vendored at /static/vendor/echarts.
'use strict';

const fbBoundaries = { promise: null };

function fbLoadBoundaries() {
  if (!fbBoundaries.promise) {
    fbBoundaries.promise = fetch('/api/v1/units/boundaries.geojson').then(r => (r.ok ? r.json() : { features: [] }))
      .catch(() => ({ features: [] }));
  }
  return fbBoundaries.promise;
}

// Ray casting on GeoJSON rings ([lon, lat] pairs).
function fbInRing(lon, lat, ring) {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if ((yi > lat) !== (yj > lat) && lon < ((xj - xi) * (lat - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

function fbInPolygon(lon, lat, rings) {
  if (!rings.length || !fbInRing(lon, lat, rings[0])) return false;
  return !rings.slice(1).some(hole => fbInRing(lon, lat, hole));
}

// The commune (feature properties {code, name}) containing a point, or null.
function fbCommuneAt(geo, lon, lat) {
  for (const f of geo.features || []) {
    const g = f.geometry;
    if (!g) continue;
    const polys = g.type === 'Polygon' ? [g.coordinates] : g.type === 'MultiPolygon' ? g.coordinates : [];
    if (polys.some(p => fbInPolygon(lon, lat, p))) return f.properties;
  }
  return null;
}

function fbEscape(text) {
  return String(text).replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
}

function fbFormatCoord(v) {
  return Number(v).toFixed(5).replace('.', ',');
}

function fbProvinceMap(el, geo, extra) {
  const chart = echarts.init(el);
  echarts.registerMap('fb-province', geo);
  const names = Object.fromEntries((geo.features || []).map(f => [f.properties.code, f.properties.name]));
  chart.setOption(Object.assign({
    tooltip: { trigger: 'item', formatter: p => (p.seriesType === 'scatter' ? (p.data.tip || '') : fbEscape(names[p.name] || p.name)) },
    geo: {
      map: 'fb-province', nameProperty: 'code', roam: true, scaleLimit: { min: 1, max: 40 },
      itemStyle: { areaColor: '#dbe7f3', borderColor: '#5a7fa8', borderWidth: 0.6 },
      emphasis: { label: { show: false }, itemStyle: { areaColor: '#f2dc9b' } },
      select: { disabled: true },
    },
  }, extra || {}));
  window.addEventListener('resize', () => chart.resize());
  return chart;
}

// ------------------------------------------------------------------------------------------ report form

function initReportForm() {
  const form = document.getElementById('fb-form');
  if (!form) return;
  const $ = sel => form.querySelector(sel);
  const lat = $('input[name=lat]');
  const lon = $('input[name=lon]');
  const source = $('input[name=location_source]');
  const unit = $('input[name=unit_code]');
  const where = document.getElementById('fb-where');
  const emergency = document.getElementById('fb-emergency');
  const rest = document.getElementById('fb-rest');

  // Category: emergencies show the numbers to call instead of the rest of the form.
  function onCategory() {
    const checked = $('input[name=service_code]:checked');
    const isEmergency = !!(checked && checked.dataset.emergency === '1');
    emergency.hidden = !isEmergency;
    rest.hidden = isEmergency;
    form.querySelectorAll('[data-attributes-for]').forEach(box => {
      const on = !!checked && box.dataset.attributesFor === checked.value;
      box.hidden = !on;
      box.querySelectorAll('input, select, textarea').forEach(i => { i.disabled = !on; });
    });
    if (isEmergency) emergency.scrollIntoView({ behavior: 'smooth', block: 'start' });
  }
  form.querySelectorAll('input[name=service_code]').forEach(r => r.addEventListener('change', onCategory));
  onCategory();

  // Location: one place holds the point (lat/lon hidden fields) and what it resolves to.
  let chart = null;
  let geo = null;
  function showPoint(la, lo, how) {
    lat.value = la.toFixed(6);
    lon.value = lo.toFixed(6);
    source.value = how;
    const commune = geo ? fbCommuneAt(geo, lo, la) : null;
    unit.value = commune ? commune.code : '';
    const label = { gps: 'Vị trí của bạn', map: 'Điểm chọn trên bản đồ' }[how] || 'Vị trí';
    where.textContent = `${label}: ${fbFormatCoord(la)}, ${fbFormatCoord(lo)}` +
      (commune ? ` — ${commune.name}` : (geo && geo.features && geo.features.length ? ' — điểm này nằm ngoài địa bàn tỉnh' : ''));
    where.dataset.state = commune || !geo ? 'ok' : 'outside';
    if (chart) {
      chart.setOption({ series: [{ type: 'scatter', coordinateSystem: 'geo', symbolSize: 16, z: 5,
        itemStyle: { color: '#c0392b', borderColor: '#fff', borderWidth: 2 }, data: [{ value: [lo, la], tip: fbEscape(label) }] }] });
    }
  }

  const gpsButton = document.getElementById('fb-gps');
  gpsButton.addEventListener('click', () => {
    if (!navigator.geolocation) {
      where.textContent = 'Trình duyệt không hỗ trợ lấy vị trí; hãy chọn trên bản đồ hoặc nhập địa chỉ.';
      return;
    }
    gpsButton.disabled = true;
    where.textContent = 'Đang lấy vị trí…';
    navigator.geolocation.getCurrentPosition(pos => {
      gpsButton.disabled = false;
      showPoint(pos.coords.latitude, pos.coords.longitude, 'gps');
    }, err => {
      gpsButton.disabled = false;
      where.textContent = err.code === 1
        ? 'Bạn chưa cho phép lấy vị trí. Hãy chọn điểm trên bản đồ hoặc nhập địa chỉ.'
        : 'Không lấy được vị trí. Hãy chọn điểm trên bản đồ hoặc nhập địa chỉ.';
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  });

  const mapEl = document.getElementById('fb-map');
  if (mapEl && typeof echarts !== 'undefined') {
    fbLoadBoundaries().then(data => {
      geo = data;
      if (!geo.features || !geo.features.length) { mapEl.hidden = true; return; }
      chart = fbProvinceMap(mapEl, geo, { series: [] });
      window.fbReportMap = chart;
      chart.getZr().on('click', e => {
        const point = chart.convertFromPixel({ geoIndex: 0 }, [e.offsetX, e.offsetY]);
        if (point && isFinite(point[0]) && isFinite(point[1])) showPoint(point[1], point[0], 'map');
      });
      if (lat.value && lon.value) showPoint(parseFloat(lat.value), parseFloat(lon.value), source.value || 'map');
    });
  }

  // Address typed in any old or new form: resolve it to a current commune while typing.
  const address = $('input[name=address_string]');
  const resolved = document.getElementById('fb-address-resolved');
  let timer = null;
  let seq = 0;
  async function resolveAddress() {
    const text = address.value.trim();
    const mine = ++seq;
    if (text.length < 4) { resolved.textContent = ''; return; }
    resolved.textContent = 'Đang tra cứu…';
    try {
      const r = await fetch('/api/v1/units/resolve?address=' + encodeURIComponent(text), { headers: { Accept: 'application/json' } });
      if (mine !== seq) return;
      const body = await r.json();
      if (r.ok) {
        resolved.dataset.code = body.code;
        // Shown only: the server resolves the same address itself when no point is chosen.
        resolved.textContent = `→ ${body.name}`;
      } else if (r.status === 409 && body.candidates) {
        resolved.dataset.code = '';
        resolved.textContent = `${body.detail} Có thể là: ${body.candidates.map(c => c.name).join(', ')}.`;
      } else {
        resolved.dataset.code = '';
        resolved.textContent = body.detail || 'Không xác định được xã, phường từ địa chỉ này.';
      }
    } catch (e) {
      if (mine === seq) resolved.textContent = '';
    }
  }
  address.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(resolveAddress, 350); });
  if (address.value) resolveAddress();

  // Description counter.
  const text = $('textarea[name=description]');
  const counter = document.getElementById('fb-counter');
  const max = parseInt(text.getAttribute('maxlength') || '4000', 10);
  function count() {
    const n = text.value.length;
    counter.textContent = `${n.toLocaleString('vi-VN')}/${max.toLocaleString('vi-VN')} ký tự`;
    counter.classList.toggle('over', n > max);
  }
  text.addEventListener('input', count);
  count();

  // Photos: count and size checked here for a quick answer; the server checks again (it decides).
  const photos = $('input[name=photos]');
  const photoError = document.getElementById('fb-photos-error');
  const previews = document.getElementById('fb-previews');
  const maxPhotos = parseInt(photos.dataset.max || '3', 10);
  const maxBytes = parseInt(photos.dataset.maxMb || '10', 10) * 1024 * 1024;
  function checkPhotos() {
    const files = Array.from(photos.files || []);
    let message = '';
    if (files.length > maxPhotos) message = `Chỉ được gửi tối đa ${maxPhotos} ảnh.`;
    const big = files.find(f => f.size > maxBytes);
    if (!message && big) message = `Ảnh «${big.name}» lớn hơn ${photos.dataset.maxMb} MB.`;
    const notImage = files.find(f => f.type && !f.type.startsWith('image/'));
    if (!message && notImage) message = `Tệp «${notImage.name}» không phải là ảnh.`;
    photoError.textContent = message;
    photos.classList.toggle('invalid', !!message);
    photos.setCustomValidity(message);
    previews.replaceChildren(...files.slice(0, maxPhotos).filter(f => f.type.startsWith('image/')).map(f => {
      const img = document.createElement('img');
      img.alt = f.name;
      img.src = URL.createObjectURL(f);
      img.onload = () => URL.revokeObjectURL(img.src);
      return img;
    }));
    return !message;
  }
  photos.addEventListener('change', checkPhotos);

  form.addEventListener('submit', e => {
    if (!checkPhotos()) { e.preventDefault(); photos.focus(); return; }
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    button.textContent = 'Đang gửi…';
  });
}

// ------------------------------------------------------------------------------------------ public map

const FB_STATUS_COLOURS = { open: '#d35400', closed: '#1f8a4c' };

function initPublicMap() {
  const el = document.getElementById('fb-public-map');
  const dataEl = document.getElementById('fb-points');
  if (!el || !dataEl || typeof echarts === 'undefined') return;
  const points = JSON.parse(dataEl.textContent);
  fbLoadBoundaries().then(geo => {
    if (!geo.features || !geo.features.length) { el.hidden = true; return; }
    const series = ['open', 'closed'].map(kind => ({
      name: kind === 'open' ? 'Đang xử lý' : 'Đã xử lý xong', type: 'scatter', coordinateSystem: 'geo', symbolSize: 8,
      itemStyle: { color: FB_STATUS_COLOURS[kind], borderColor: '#fff', borderWidth: 1, opacity: 0.85 },
      data: points.filter(p => p.open === (kind === 'open')).map(p => ({ value: [p.lon, p.lat], tip: fbEscape(p.tip), code: p.code })),
    }));
    const chart = fbProvinceMap(el, geo, { legend: { bottom: 0, data: series.map(s => s.name) }, series });
    window.fbPublicMap = chart;
    chart.on('click', p => { if (p.seriesType === 'scatter' && p.data.code) window.location.href = '/phan-anh/' + encodeURIComponent(p.data.code); });
  });
}

document.addEventListener('DOMContentLoaded', () => {
  initReportForm();
  initPublicMap();
});
