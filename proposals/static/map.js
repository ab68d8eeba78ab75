/* Progressive enhancement: lay map tiles behind the server-drawn markers. Without this script (or
   without a tile server) the page keeps the plain marker diagram and the list of places. */
(function () {
  "use strict";
  var box = document.getElementById("proposal-map");
  if (!box || !box.dataset.tiles) { return; }
  var template = box.dataset.tiles, zoom = parseInt(box.dataset.zoom, 10);
  var left = parseFloat(box.dataset.left), top = parseFloat(box.dataset.top);
  var width = parseFloat(box.dataset.width), height = parseFloat(box.dataset.height);
  var size = 256, max = Math.pow(2, zoom), layer = document.createElement("div");
  layer.className = "map-tiles";
  layer.setAttribute("aria-hidden", "true");
  for (var tx = Math.floor(left / size); tx * size < left + width; tx++) {
    for (var ty = Math.floor(top / size); ty * size < top + height; ty++) {
      if (ty < 0 || ty >= max) { continue; }
      var img = document.createElement("img");
      var x = ((tx % max) + max) % max;
      img.alt = "";
      img.src = template.replace("{z}", zoom).replace("{x}", x).replace("{y}", ty)
        .replace("{s}", "abc".charAt((x + ty) % 3));
      // Percentages keep tiles aligned with the SVG whatever the rendered width.
      img.style.left = ((tx * size - left) / width * 100) + "%";
      img.style.top = ((ty * size - top) / height * 100) + "%";
      img.style.width = (size / width * 100) + "%";
      img.style.height = (size / height * 100) + "%";
      layer.appendChild(img);
    }
  }
  var frame = box.querySelector(".map-frame");
  frame.insertBefore(layer, frame.firstChild);
  box.classList.add("has-tiles");
})();
