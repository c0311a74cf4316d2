/* Case page: the case's location on a small map. */
(function () {
  "use strict";
  const p = JSON.parse(document.getElementById("case-point").textContent);
  const map = L.map("case-map").setView([p.lat, p.lon], 17);
  if (p.grid) {
    const grid = L.geoJSON(p.grid, { style: { color: "#1c7ed6", weight: 2, fillOpacity: 0.08 }, interactive: false }).addTo(map);
    map.fitBounds(grid.getBounds(), { padding: [10, 10] });
  }
  L.circleMarker([p.lat, p.lon], { radius: 9, color: "#c92a2a", weight: 3, fillOpacity: 0.6 }).addTo(map).bindTooltip(p.code);
})();
