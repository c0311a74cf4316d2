/* Triage: a map of the street to place a report that routing could not. The place field of a report that has
   focus (or was last used) takes the point clicked on the map, as "lat,lon" in WGS84; rows swapped in by htmx
   are picked up the same way. */
(function () {
  "use strict";
  const panel = document.getElementById("triage-map");
  if (!panel) return;
  const boundary = JSON.parse(document.getElementById("triage-boundary").textContent);
  const hint = document.getElementById("triage-map-hint");
  const map = L.map(panel);
  const outline = L.geoJSON(boundary, { style: { color: "#343a40", weight: 2, fill: false, dashArray: "6 4" } }).addTo(map);
  map.fitBounds(outline.getBounds());
  L.geoJSON(JSON.parse(document.getElementById("triage-grids").textContent), {
    style: { color: "#0d6efd", weight: 1, fillOpacity: 0.04 },
    onEachFeature: (f, layer) => layer.bindTooltip(f.properties.code + " " + f.properties.name, { sticky: true }),
  }).addTo(map);
  let active = null;
  let marker = null;

  function choose(input) {
    if (active) active.closest("tr").classList.remove("placing");
    active = input;
    active.closest("tr").classList.add("placing");
    hint.textContent = hint.dataset.placing.replace("{code}", active.closest("tr").dataset.code || "");
  }
  document.addEventListener("focusin", (e) => {
    if (e.target.matches("input[name=where]")) choose(e.target);
  });
  map.on("click", (e) => {
    if (!active || !document.body.contains(active)) {
      hint.textContent = hint.dataset.idle;
      return;
    }
    if (marker) marker.setLatLng(e.latlng);
    else marker = L.marker(e.latlng).addTo(map);
    active.value = e.latlng.lat.toFixed(6) + "," + e.latlng.lng.toFixed(6);
  });
})();
