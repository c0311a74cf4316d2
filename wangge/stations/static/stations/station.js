/* A station's page: a small map with the station (no tiles by default: the outline is enough offline). */
(function () {
  "use strict";
  const el = document.getElementById("station-map");
  if (!el) return;
  const ll = L.latLng(parseFloat(el.dataset.lat), parseFloat(el.dataset.lon));
  const map = L.map(el).setView(ll, 17);
  L.circleMarker(ll, { radius: 10, color: "#0b7285", fillColor: "#15aabf", fillOpacity: 0.9 })
    .bindTooltip(el.dataset.name, { permanent: true }).addTo(map);
})();
