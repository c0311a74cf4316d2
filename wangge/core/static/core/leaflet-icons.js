/* Leaflet looks for its marker images next to its stylesheet by their plain file names, which the hashed static
   files of production break: give it their real URLs (set on this script tag by templates/leaflet_js.html). */
(function () {
  "use strict";
  const urls = document.currentScript.dataset;
  L.Icon.Default.imagePath = "";
  L.Icon.Default.mergeOptions({ iconUrl: urls.icon, iconRetinaUrl: urls.icon2x, shadowUrl: urls.shadow });
})();
