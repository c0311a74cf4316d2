// Zone editor: click the camera picture (an SVG in image-pixel coordinates) to place polygon corners;
// the corners go into the form's hidden "polygon" field as JSON [[x, y], ...]. The server validates.
(function () {
  "use strict";
  var svg = document.getElementById("zone-editor");
  var field = document.getElementById("id_polygon");
  if (!svg || !field) { return; }
  var draft = document.getElementById("draft");
  var vertices = document.getElementById("vertices");
  var label = document.getElementById("zone-points");
  var points = [];
  try { points = JSON.parse(field.value || "[]") || []; } catch (e) { points = []; }
  var NS = "http://www.w3.org/2000/svg";

  function render() {
    draft.setAttribute("points", points.map(function (p) { return p[0] + "," + p[1]; }).join(" "));
    while (vertices.firstChild) { vertices.removeChild(vertices.firstChild); }
    var r = Math.max(3, Number(svg.dataset.width) / 160);
    points.forEach(function (p) {
      var c = document.createElementNS(NS, "circle");
      c.setAttribute("cx", p[0]); c.setAttribute("cy", p[1]); c.setAttribute("r", r);
      c.setAttribute("class", "vertex");
      vertices.appendChild(c);
    });
    field.value = JSON.stringify(points);
    if (label) { label.textContent = points.length ? String(points.length) + " ●" : ""; }
  }

  svg.addEventListener("click", function (event) {
    var pt = svg.createSVGPoint();
    pt.x = event.clientX; pt.y = event.clientY;
    var local = pt.matrixTransform(svg.getScreenCTM().inverse());
    var w = Number(svg.dataset.width), h = Number(svg.dataset.height);
    points.push([Math.round(Math.min(w, Math.max(0, local.x))), Math.round(Math.min(h, Math.max(0, local.y)))]);
    render();
  });
  var undo = document.getElementById("zone-undo");
  if (undo) { undo.addEventListener("click", function () { points.pop(); render(); }); }
  var clear = document.getElementById("zone-clear");
  if (clear) { clear.addEventListener("click", function () { points = []; render(); }); }
  render();
})();
