/* Operations map: comprehensive grids, departmental layer toggles, a card for the clicked grid. */
(function () {
  "use strict";
  const cfg = JSON.parse(document.getElementById("map-config").textContent);
  const el = document.getElementById("map");
  const map = L.map(el, { zoomSnap: 0.5 });
  if (cfg.tileUrl) {
    L.tileLayer(cfg.tileUrl, { attribution: cfg.tileAttribution, maxZoom: 19 }).addTo(map);
  }
  const boundary = L.geoJSON(cfg.boundary, {
    style: { color: "#343a40", weight: 2, fill: false, dashArray: "6 4" },
    interactive: false,
  }).addTo(map);
  map.fitBounds(boundary.getBounds(), { padding: [12, 12] });

  const palette = ["#e8590c", "#2f9e44", "#ae3ec9", "#1098ad", "#f08c00", "#c2255c", "#5c940d", "#3b5bdb"];
  const overlays = {};
  let gridsLayer = null;
  let gridsZoom = null;
  let selected = null;

  const gridStyle = (f) => ({
    color: f.properties.warnings ? "#d9480f" : "#1c7ed6",
    weight: 1.5,
    fillColor: "#4dabf7",
    fillOpacity: 0.12,
  });

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then((r) => {
      if (!r.ok) throw new Error(url + " → " + r.status);
      return r.json();
    });
  }

  function showCard(code, layer) {
    if (selected) gridsLayer.resetStyle(selected);
    selected = layer;
    layer.setStyle({ weight: 3, color: "#0b7285", fillOpacity: 0.3 });
    htmx.ajax("GET", cfg.cardUrl.replace("{code}", encodeURIComponent(code)), { target: "#grid-card", swap: "innerHTML" });
  }

  function loadGrids() {
    const zoom = Math.round(map.getZoom());
    if (zoom === gridsZoom) return;
    gridsZoom = zoom;
    getJSON(cfg.gridsUrl + "?zoom=" + zoom + "&crs=" + cfg.tileCrs).then((fc) => {
      if (gridsLayer) map.removeLayer(gridsLayer);
      selected = null;
      gridsLayer = L.geoJSON(fc, {
        style: gridStyle,
        onEachFeature: (f, layer) => {
          layer.bindTooltip(f.properties.code + " " + f.properties.name, { sticky: true });
          layer.on("click", () => showCard(f.properties.code, layer));
        },
      });
      const box = document.querySelector('.layers input[data-layer="__grids"]');
      if (!box || box.checked) gridsLayer.addTo(map);
      el.dataset.grids = String(fc.features.length);
      el.dataset.loaded = "true";
    });
  }

  function toggleLayer(code, on, index) {
    if (code === "__grids") {
      if (gridsLayer) (on ? gridsLayer.addTo(map) : map.removeLayer(gridsLayer));
      return;
    }
    if (!on) {
      if (overlays[code]) map.removeLayer(overlays[code]);
      return;
    }
    if (overlays[code]) {
      overlays[code].addTo(map);
      return;
    }
    if (code === "__cases") {
      getJSON(cfg.casesUrl).then((fc) => {
        const colour = { overdue: "#e03131", soon: "#f59f00", ok: "#2f9e44" };
        const layer = L.geoJSON(fc, {
          pointToLayer: (f, ll) => L.circleMarker(ll, {
            radius: 6, weight: 2, color: "#fff", fillOpacity: 0.9, fillColor: colour[f.properties.lateness] || "#868e96",
            className: "case-marker state-" + f.properties.state,
          }),
          onEachFeature: (f, l) => {
            l.bindTooltip(f.properties.code + " · " + f.properties.category);
            l.on("click", () => { window.location = cfg.caseUrl.replace("{code}", encodeURIComponent(f.properties.code)); });
          },
        });
        overlays[code] = layer;
        layer.addTo(map);
        el.dataset.cases = String(fc.features.length);
      });
      return;
    }
    const base = code === "__issues" ? cfg.issuesUrl : cfg.layerUrl.replace("{code}", encodeURIComponent(code));
    const url = base + "?crs=" + cfg.tileCrs;
    getJSON(url).then((data) => {
      let layer;
      if (code === "__issues") {
        const features = data.issues.filter((i) => i.geometry).map((i) => ({
          type: "Feature", geometry: i.geometry, properties: i,
        }));
        layer = L.geoJSON({ type: "FeatureCollection", features: features }, {
          style: (f) => ({ color: f.properties.kind === "gap" ? "#f03e3e" : "#fab005", weight: 2, fillOpacity: 0.5 }),
          onEachFeature: (f, l) => l.bindTooltip(f.properties.label + " · " + Math.round(f.properties.area_m2) + " m²"),
        });
      } else {
        const color = palette[index % palette.length];
        layer = L.geoJSON(data, {
          style: { color: color, weight: 2, dashArray: "4 3", fill: true, fillOpacity: 0.04 },
          interactive: true,
          onEachFeature: (f, l) => l.bindTooltip(f.properties.name + (f.properties.department ? " · " + f.properties.department : "")),
        });
      }
      overlays[code] = layer;
      layer.addTo(map);
      if (gridsLayer) gridsLayer.bringToFront();
    });
  }

  document.querySelectorAll(".layers input[type=checkbox]").forEach((box, i) => {
    box.addEventListener("change", () => toggleLayer(box.dataset.layer, box.checked, i));
  });
  map.on("zoomend", loadGrids);
  loadGrids();
})();
