/* Report form: click the map (or use the device's location) to place the case. */
(function () {
  "use strict";
  const boundary = JSON.parse(document.getElementById("report-boundary").textContent);
  const lon = document.getElementById("id_lon");
  const lat = document.getElementById("id_lat");
  const picked = document.getElementById("picked");
  const map = L.map("report-map");
  const outline = L.geoJSON(boundary, { style: { color: "#343a40", weight: 2, fill: false, dashArray: "6 4" } }).addTo(map);
  map.fitBounds(outline.getBounds());
  let marker = null;
  function place(latlng) {
    if (marker) marker.setLatLng(latlng);
    else marker = L.marker(latlng).addTo(map);
    lon.value = latlng.lng.toFixed(7);
    lat.value = latlng.lat.toFixed(7);
    picked.textContent = lat.value + ", " + lon.value;
  }
  if (lon.value && lat.value) place(L.latLng(parseFloat(lat.value), parseFloat(lon.value)));
  map.on("click", (e) => place(e.latlng));
  document.getElementById("use-location").addEventListener("click", () => {
    if (!navigator.geolocation) return;
    navigator.geolocation.getCurrentPosition((pos) => {
      const ll = L.latLng(pos.coords.latitude, pos.coords.longitude);
      place(ll);
      map.setView(ll, 17);
    });
  });
})();
