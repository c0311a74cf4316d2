/* Rider's finder: share the location (WGS84 from the browser) or paste a map link (GCJ-02), tick amenities,
   get the nearest stations open now (server-rendered partial via htmx), shown on a small map. */
(function () {
  "use strict";
  const form = document.getElementById("station-finder");
  const lon = document.getElementById("finder-lon");
  const lat = document.getElementById("finder-lat");
  const crs = document.getElementById("finder-crs");
  const link = document.getElementById("finder-link");
  const status = document.getElementById("finder-status");
  const region = document.getElementById("station-results-region");
  const boundary = JSON.parse(document.getElementById("finder-boundary").textContent);

  const map = L.map("finder-map");
  const outline = L.geoJSON(boundary, { style: { color: "#343a40", weight: 2, fill: false, dashArray: "6 4" } }).addTo(map);
  map.fitBounds(outline.getBounds());
  const layer = L.layerGroup().addTo(map);
  let me = null;

  function drawResults() {
    layer.clearLayers();
    const points = [];
    region.querySelectorAll(".station-result").forEach((li, i) => {
      const ll = L.latLng(parseFloat(li.dataset.lat), parseFloat(li.dataset.lon));
      points.push(ll);
      L.circleMarker(ll, { radius: 9, color: "#0b7285", fillColor: "#15aabf", fillOpacity: 0.9 })
        .bindTooltip(String(i + 1) + ". " + li.dataset.name, { permanent: i === 0 }).addTo(layer);
    });
    region.querySelectorAll(".pledge-result").forEach((li) => {
      L.circleMarker(L.latLng(parseFloat(li.dataset.lat), parseFloat(li.dataset.lon)),
        { radius: 6, color: "#e67700", fillColor: "#ffa94d", fillOpacity: 0.9 }).bindTooltip(li.dataset.name).addTo(layer);
    });
    if (me) points.push(me.getLatLng());
    if (points.length > 1) map.fitBounds(L.latLngBounds(points).pad(0.2));
    else if (points.length === 1) map.setView(points[0], 16);
    form.dataset.results = String(region.querySelectorAll(".station-result").length);
  }

  function search() {
    if (window.htmx) htmx.trigger(form, "submit");
    else form.submit();
  }

  document.getElementById("find-nearby").addEventListener("click", () => {
    if (!navigator.geolocation) {
      status.textContent = status.dataset.noGps;
      document.getElementById("link-search").open = true;
      return;
    }
    status.textContent = "…";
    navigator.geolocation.getCurrentPosition((pos) => {
      lon.value = pos.coords.longitude.toFixed(7);
      lat.value = pos.coords.latitude.toFixed(7);
      crs.value = "wgs84"; // a phone browser's GPS is WGS84
      link.value = "";
      const ll = L.latLng(pos.coords.latitude, pos.coords.longitude);
      if (me) me.setLatLng(ll);
      else me = L.circleMarker(ll, { radius: 7, color: "#c92a2a", fillColor: "#fa5252", fillOpacity: 1 }).addTo(map);
      status.textContent = "";
      search();
    }, () => {
      status.textContent = status.dataset.gpsFailed;
      document.getElementById("link-search").open = true;
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  });
  // Searching by a pasted link: the link decides the place (GCJ-02 from AMap / WeChat), not an old GPS fix.
  document.getElementById("search-link").addEventListener("click", () => { lon.value = ""; lat.value = ""; });
  // A changed tick searches again from the same place.
  document.getElementById("amenity-picker").addEventListener("change", () => { if (lon.value || link.value) search(); });
  document.body.addEventListener("htmx:afterSwap", (e) => { if (e.detail.target === region) drawResults(); });
  drawResults();
})();
