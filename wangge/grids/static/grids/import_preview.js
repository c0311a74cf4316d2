/* Import preview: the uploaded features on a map before the import is confirmed. */
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("preview-data").textContent);
  const map = L.map("preview-map");
  const layer = L.geoJSON(data, {
    style: { color: "#e8590c", weight: 1.5, fillOpacity: 0.15 },
    onEachFeature: (f, l) => l.bindTooltip(f.properties.code + " " + f.properties.name, { sticky: true }),
  }).addTo(map);
  if (data.features.length) map.fitBounds(layer.getBounds(), { padding: [10, 10] });
  else map.setView([31.23, 121.47], 12);
})();
