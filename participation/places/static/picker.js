/* The place picker, enhanced: the address search asks our own /places/search (never the geocoder
   directly), the results are the same radio buttons the server renders without JavaScript, and with a
   tile server a Leaflet map shows the point: click the map, drag the marker, or focus it and use the
   arrow keys (Shift: bigger steps). Every change fills the same form fields the server reads. */
(function () {
  "use strict";

  function format(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, key) { return values[key]; });
  }

  function encode(lat, lon, label) {
    return lat.toFixed(6) + "," + lon.toFixed(6) + "," + label;
  }

  function Picker(box) {
    this.box = box;
    this.form = box.closest("form");
    this.address = this.form.querySelector("[name=address]");
    this.lat = this.form.querySelector("[name=latitude]");
    this.lon = this.form.querySelector("[name=longitude]");
    this.located = this.form.querySelector("[name=located]");
    this.results = box.querySelector(".place-results");
    this.searchButton = box.querySelector("[name=place_search]");
    this.autoAddress = null;  // the address text the picker itself filled in
    this.map = null;
    this.marker = null;
    if (this.searchButton && box.dataset.geocoder) {
      this.searchButton.addEventListener("click", this.search.bind(this));
    }
    this.results.addEventListener("change", this.choose.bind(this));
    this.lat.addEventListener("change", this.typedPoint.bind(this));
    this.lon.addEventListener("change", this.typedPoint.bind(this));
    if (box.dataset.tiles && window.L) { this.buildMap(); }
  }

  Picker.prototype.point = function () {
    var lat = parseFloat(this.lat.value), lon = parseFloat(this.lon.value);
    if (isNaN(lat) || isNaN(lon) || lat < -90 || lat > 90 || lon < -180 || lon > 180) { return null; }
    return [lat, lon];
  };

  Picker.prototype.say = function (text, isError) {
    var p = document.createElement("p");
    p.className = isError ? "error" : "hint";
    p.textContent = text;
    this.results.replaceChildren(p);
  };

  Picker.prototype.search = function (event) {
    event.preventDefault();
    var query = this.address.value.trim(), self = this;
    var url = new URL(this.box.dataset.searchUrl, window.location.href);
    url.searchParams.set("q", query);
    var near = this.map ? this.map.getCenter() : null;
    if (near) {
      url.searchParams.set("lat", near.lat.toFixed(6));
      url.searchParams.set("lon", near.lng.toFixed(6));
    } else if (this.box.dataset.centreLat) {
      url.searchParams.set("lat", this.box.dataset.centreLat);
      url.searchParams.set("lon", this.box.dataset.centreLon);
    }
    fetch(url, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (response) {
        return response.json().then(function (body) { return {ok: response.ok, body: body}; });
      })
      .then(function (answer) {
        if (!answer.ok) { self.say(answer.body.error || answer.body.message || "", true); return; }
        self.showResults(answer.body);
      })
      .catch(function () { self.form.requestSubmit(self.searchButton); });  // the server can still search
  };

  Picker.prototype.showResults = function (body) {
    var set = document.createElement("fieldset"), legend = document.createElement("legend");
    set.className = "place-choices";
    legend.textContent = this.box.dataset.legend;
    set.appendChild(legend);
    var note = document.createElement("p");
    note.className = "hint";
    note.textContent = body.message;
    set.appendChild(note);
    var options = body.results.map(function (r) {
      // As the server lists them: postcode and city only when the label does not already say them.
      var where = [r.postcode, r.city].filter(function (p) { return p && r.label.indexOf(p) < 0; }).join(" ");
      return {value: encode(r.latitude, r.longitude, r.label), text: r.label + (where ? " (" + where + ")" : "")};
    });
    options.push({value: "typed", text: this.box.dataset.keep});
    options.forEach(function (option, i) {
      var div = document.createElement("div"), input = document.createElement("input");
      var label = document.createElement("label");
      div.className = "choice";
      input.type = "radio";
      input.name = "place_choice";
      input.id = "place_choice-" + i;
      input.value = option.value;
      label.htmlFor = input.id;
      label.textContent = option.text;
      div.appendChild(input);
      div.appendChild(document.createTextNode(" "));
      div.appendChild(label);
      set.appendChild(div);
    });
    this.results.replaceChildren(set);
    var first = set.querySelector("input");
    if (first) { first.focus(); }
  };

  Picker.prototype.choose = function (event) {
    var input = event.target;
    if (input.name !== "place_choice" || input.value === "typed") { return; }
    var parts = input.value.split(",");
    var lat = parseFloat(parts[0]), lon = parseFloat(parts[1]), label = parts.slice(2).join(",");
    this.address.value = label;
    this.autoAddress = label;
    this.setPoint(lat, lon, true);
    this.located.value = input.value;  // the server knows this point came from this address
  };

  Picker.prototype.typedPoint = function () {
    var p = this.point();
    if (p) { this.located.value = ""; this.placeMarker(p[0], p[1], true); }
  };

  // The person placed the point themselves: keep it even if they reword the address afterwards.
  Picker.prototype.placedByHand = function (latlng) {
    this.setPoint(latlng.lat, latlng.lng, false);
    this.located.value = "";
    this.results.replaceChildren();
    var status = document.createElement("p");
    status.className = "hint";
    status.textContent = format(this.box.dataset.placed, {lat: latlng.lat.toFixed(5), lon: latlng.lng.toFixed(5)});
    this.results.appendChild(status);
    this.reverse(latlng, status);
  };

  Picker.prototype.reverse = function (latlng, status) {
    if (!this.box.dataset.geocoder) { return; }
    var self = this, url = new URL(this.box.dataset.reverseUrl, window.location.href);
    url.searchParams.set("lat", latlng.lat.toFixed(6));
    url.searchParams.set("lon", latlng.lng.toFixed(6));
    fetch(url, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) {
        if (!body || !body.results.length) { return; }
        var label = body.results[0].label;
        status.textContent += " " + format(self.box.dataset.nearest, {label: label});
        // Fill the address only if the person has not written their own.
        var current = self.address.value.trim();
        if (!current || current === self.autoAddress) {
          self.address.value = label;
          self.autoAddress = label;
        }
      })
      .catch(function () { /* the point is set; the address stays as typed */ });
  };

  Picker.prototype.setPoint = function (lat, lon, recentre) {
    this.lat.value = lat.toFixed(6);
    this.lon.value = lon.toFixed(6);
    this.placeMarker(lat, lon, recentre);
  };

  Picker.prototype.placeMarker = function (lat, lon, recentre) {
    if (!this.map) { return; }
    this.marker.setLatLng([lat, lon]);
    if (!this.map.hasLayer(this.marker)) { this.marker.addTo(this.map); this.labelMarker(); }
    if (recentre) { this.map.setView([lat, lon], Math.max(this.map.getZoom(), 17)); }
  };

  Picker.prototype.labelMarker = function () {
    var icon = this.marker.getElement();
    if (icon) { icon.setAttribute("aria-label", this.box.dataset.markerLabel); icon.setAttribute("alt", ""); }
  };

  Picker.prototype.buildMap = function () {
    var slot = this.box.querySelector(".place-map-slot"), self = this;
    var element = document.createElement("div");
    element.className = "place-map";
    element.setAttribute("aria-label", this.box.dataset.mapLabel);
    element.setAttribute("role", "region");
    slot.appendChild(element);
    var start = this.point(), centre = this.box.dataset.centreLat ?
      [parseFloat(this.box.dataset.centreLat), parseFloat(this.box.dataset.centreLon)] : [46.6, 2.4];
    this.map = L.map(element, {keyboard: true, zoomControl: false})
      .setView(start || centre, start ? 17 : (this.box.dataset.centreLat ? 14 : 5));
    L.control.zoom({zoomInTitle: this.box.dataset.zoomIn, zoomOutTitle: this.box.dataset.zoomOut}).addTo(this.map);
    L.tileLayer(this.box.dataset.tiles, {attribution: this.box.dataset.attribution, maxZoom: 19}).addTo(this.map);
    this.marker = L.marker(start || centre, {draggable: true, keyboard: true, autoPan: true});
    if (start) { this.marker.addTo(this.map); this.labelMarker(); }
    this.map.on("click", function (e) { self.placedByHand(e.latlng); });
    this.marker.on("dragend", function () { self.placedByHand(self.marker.getLatLng()); });
    element.addEventListener("keydown", function (e) { self.keyMove(e); });
  };

  // Arrow keys on the focused marker move it by 10 screen pixels (50 with Shift).
  Picker.prototype.keyMove = function (event) {
    var icon = this.marker.getElement();
    if (!icon || event.target !== icon) { return; }
    var steps = {ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1]};
    var step = steps[event.key];
    if (!step) { return; }
    event.preventDefault();
    event.stopPropagation();
    var size = event.shiftKey ? 50 : 10;
    var at = this.map.latLngToContainerPoint(this.marker.getLatLng());
    var moved = this.map.containerPointToLatLng(L.point(at.x + step[0] * size, at.y + step[1] * size));
    this.placedByHand(moved);
    icon.focus();
  };

  document.querySelectorAll(".place-picker").forEach(function (box) { new Picker(box); });
})();
