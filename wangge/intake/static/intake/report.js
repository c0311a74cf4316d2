/* Public report page: place by GPS or pin, searchable category picker, photo previews, and "is it one of
   these?" — open cases nearby, refreshed as the pin or the category changes. */
(function () {
  "use strict";
  const form = document.getElementById("public-report");
  const boundary = JSON.parse(document.getElementById("report-boundary").textContent);
  const lon = document.getElementById("id_lon");
  const lat = document.getElementById("id_lat");
  const crs = document.getElementById("id_crs");
  const source = document.getElementById("id_location_source");
  const category = document.getElementById("id_category");
  const joinCase = document.getElementById("id_join_case");
  const picked = document.getElementById("picked");
  const nearby = document.getElementById("nearby");

  const map = L.map("report-map");
  const outline = L.geoJSON(boundary, { style: { color: "#343a40", weight: 2, fill: false, dashArray: "6 4" } }).addTo(map);
  map.fitBounds(outline.getBounds());
  let marker = null;

  function refreshNearby() {
    if (!lon.value || !lat.value) return;
    const params = new URLSearchParams({ lon: lon.value, lat: lat.value, crs: crs.value || "wgs84", category: category.value });
    htmx.ajax("GET", form.dataset.nearbyUrl + "?" + params.toString(), { target: nearby, swap: "innerHTML" });
  }
  function place(latlng, how) {
    if (marker) marker.setLatLng(latlng);
    else marker = L.marker(latlng).addTo(map);
    lon.value = latlng.lng.toFixed(7);
    lat.value = latlng.lat.toFixed(7);
    crs.value = "wgs84";
    source.value = how;
    picked.textContent = "✔ " + lat.value + ", " + lon.value;
    refreshNearby();
  }
  if (lon.value && lat.value) place(L.latLng(parseFloat(lat.value), parseFloat(lon.value)), source.value || "pin");
  map.on("click", (e) => place(e.latlng, "pin"));
  document.getElementById("use-location").addEventListener("click", () => {
    if (!navigator.geolocation) return;
    navigator.geolocation.getCurrentPosition((pos) => {
      const ll = L.latLng(pos.coords.latitude, pos.coords.longitude);
      place(ll, "gps");
      map.setView(ll, 17);
    });
  });

  // Category: search by name or keyword; one tap chooses, a second tap clears.
  const search = document.getElementById("category-search");
  const chosen = document.getElementById("category-chosen");
  const choices = Array.from(document.querySelectorAll(".category-choice"));
  function choose(button) {
    choices.forEach((b) => b.setAttribute("aria-pressed", "false"));
    if (!button || category.value === button.dataset.code) {
      category.value = "";
      chosen.hidden = true;
    } else {
      button.setAttribute("aria-pressed", "true");
      category.value = button.dataset.code;
      chosen.textContent = button.textContent;
      chosen.hidden = false;
    }
    refreshNearby();
  }
  choices.forEach((b) => b.addEventListener("click", () => choose(b)));
  search.addEventListener("input", () => {
    const q = search.value.trim();
    document.querySelectorAll(".category-group").forEach((group) => {
      let any = false;
      group.querySelectorAll(".category-choice").forEach((b) => {
        const hit = !q || b.dataset.search.includes(q);
        b.parentElement.hidden = !hit;
        any = any || hit;
      });
      group.hidden = !any;
      group.open = Boolean(q) && any;
    });
  });

  // "Same problem: join" fills the hidden field and submits.
  nearby.addEventListener("click", (e) => {
    const button = e.target.closest(".join-case");
    if (!button) return;
    joinCase.value = button.dataset.code;
    form.requestSubmit();
  });

  // Photo previews.
  const photos = document.getElementById("id_photos");
  const previews = document.getElementById("photo-previews");
  photos.addEventListener("change", () => {
    previews.replaceChildren();
    Array.from(photos.files).slice(0, 9).forEach((file) => {
      const img = document.createElement("img");
      img.alt = file.name;
      img.src = URL.createObjectURL(file);
      previews.appendChild(img);
    });
  });

  // Rider details only for riders.
  const rider = document.getElementById("id_is_rider");
  const riderFields = document.getElementById("rider-fields");
  if (rider) {  // a grid worker's patrol report has no "about you" section
    const syncRider = () => { riderFields.hidden = !rider.checked; };
    rider.addEventListener("change", syncRider);
    syncRider();
  }

  // One submission: the button is disabled while the form is sent (the idempotency key covers retries).
  form.addEventListener("submit", () => { form.querySelector("button[type=submit]").disabled = true; });
})();
