/* A map of numbered places, enhanced: with a tile server, the server-drawn SVG gives way to a Leaflet
   map (pan, zoom) of the items of the accessible list it refers to, read from their data attributes.
   Without this script, or without tiles, the page keeps the drawing and the list. */
(function () {
  "use strict";
  document.querySelectorAll(".places-map[data-tiles]").forEach(function (box) {
    if (!window.L) { return; }
    var list = document.getElementById(box.dataset.list);
    if (!list) { return; }
    var items = Array.prototype.filter.call(list.querySelectorAll("[data-lat]"), function (li) {
      return !isNaN(parseFloat(li.dataset.lat)) && !isNaN(parseFloat(li.dataset.lon));
    });
    if (!items.length) { return; }
    var frame = box.querySelector(".map-frame"), element = document.createElement("div");
    element.className = "places-leaflet";
    element.setAttribute("role", "region");
    element.setAttribute("aria-label", box.dataset.mapLabel);
    frame.replaceChildren(element);
    var map = L.map(element, {keyboard: true, zoomControl: false});
    L.control.zoom({zoomInTitle: box.dataset.zoomIn, zoomOutTitle: box.dataset.zoomOut}).addTo(map);
    L.tileLayer(box.dataset.tiles, {attribution: box.dataset.attribution, maxZoom: 19}).addTo(map);
    var bounds = items.map(function (li) { return [parseFloat(li.dataset.lat), parseFloat(li.dataset.lon)]; });
    // The view first: Leaflet creates a marker's element only once the map has one.
    if (bounds.length === 1) { map.setView(bounds[0], 17); } else { map.fitBounds(bounds, {padding: [30, 30], maxZoom: 17}); }
    items.forEach(function (li, i) {
      var at = bounds[i];
      var icon = L.divIcon({className: "map-number", html: "", iconSize: [26, 26]});
      var marker = L.marker(at, {icon: icon, keyboard: true, title: li.dataset.title}).addTo(map);
      var el = marker.getElement();
      el.textContent = li.dataset.number;
      el.setAttribute("aria-label", li.dataset.number + ". " + li.dataset.title);
      var link = document.createElement("a");
      link.href = li.dataset.url;
      link.textContent = li.dataset.number + ". " + li.dataset.title;
      marker.bindPopup(link);
    });
    box.classList.add("has-tiles");
  });
})();
