(function () {
  "use strict";
  const b = document.getElementById("print-poster");
  if (b) b.addEventListener("click", () => window.print());
})();
