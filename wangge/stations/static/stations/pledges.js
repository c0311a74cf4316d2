/* Staff pledge map: active pledges (orange), expired ones (grey), stations (teal) over the street outline. */
(function () {
  "use strict";
  const boundary = JSON.parse(document.getElementById("pledge-boundary").textContent);
  const data = JSON.parse(document.getElementById("pledge-data").textContent);
  const map = L.map("pledge-map");
  const outline = L.geoJSON(boundary, { style: { color: "#343a40", weight: 2, fill: false, dashArray: "6 4" } }).addTo(map);
  map.fitBounds(outline.getBounds());
  data.stations.forEach((s) => {
    L.circleMarker([s.lat, s.lon], { radius: 7, color: "#0b7285", fillColor: "#15aabf", fillOpacity: 0.9 })
      .bindTooltip(s.name).addTo(map);
  });
  const signedLabel = document.getElementById("pledge-map").dataset.signedLabel || "";
  data.pledges.forEach((p) => {
    const colour = p.expired ? "#868e96" : "#e67700";
    // Merchant-signed pledges get a dark-green ring and a label in the tooltip.
    L.circleMarker([p.lat, p.lon], { radius: p.signed_by_merchant ? 8 : 6, weight: p.signed_by_merchant ? 3 : 1,
      color: p.signed_by_merchant ? "#2b8a3e" : colour, fillColor: colour, fillOpacity: 0.8 })
      .bindTooltip(p.merchant + " · " + p.kind_label + (p.signed_by_merchant ? " · " + signedLabel : "")
        + (p.expired ? " (" + p.valid_until + ")" : "")).addTo(map);
  });
  document.getElementById("pledge-map").dataset.loaded = String(data.pledges.length);
})();
