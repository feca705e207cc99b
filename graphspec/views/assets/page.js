/* graphspec's interactive page: pan, zoom, the panel of a clicked vertex and the diagnostics.
   Everything from the spec arrives as JSON (#gs-data) and is shown with textContent only. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("gs-data").textContent);
  var svg = document.getElementById("gs-drawing");
  var SVG = svg.namespaceURI;
  var viewport = document.getElementById("gs-viewport");
  var details = document.getElementById("gs-details");
  var list = document.getElementById("gs-diagnostics");
  var width = parseFloat(svg.getAttribute("data-width")) || 1;
  var height = parseFloat(svg.getAttribute("data-height")) || 1;
  var view = { k: 1, x: 0, y: 0 };
  var groups = {};
  var selected = null;

  function element(tag, text, className) {
    var made = document.createElement(tag);
    if (text !== undefined && text !== null) made.textContent = String(text);
    if (className) made.className = className;
    return made;
  }

  /* ---- pan and zoom: one transform on #gs-viewport ---- */
  function apply() {
    viewport.setAttribute("transform", "translate(" + view.x.toFixed(2) + " " +
      view.y.toFixed(2) + ") scale(" + view.k.toFixed(4) + ")");
  }
  function fit() {
    var box = svg.getBoundingClientRect();
    var k = Math.min(box.width / width, box.height / height) * 0.95;
    view.k = Math.max(0.02, Math.min(k, 2));
    view.x = (box.width - width * view.k) / 2;
    view.y = (box.height - height * view.k) / 2;
    apply();
  }
  function zoomAt(factor, cx, cy) {
    var k = Math.max(0.02, Math.min(view.k * factor, 40));
    var change = k / view.k;
    view.x = cx - (cx - view.x) * change;
    view.y = cy - (cy - view.y) * change;
    view.k = k;
    apply();
  }
  function zoomCentre(factor) {
    var box = svg.getBoundingClientRect();
    zoomAt(factor, box.width / 2, box.height / 2);
  }
  function centreOn(group) {
    var box = svg.getBoundingClientRect();
    var at = group.getBoundingClientRect();
    view.x += box.left + box.width / 2 - (at.left + at.width / 2);
    view.y += box.top + box.height / 2 - (at.top + at.height / 2);
    apply();
  }

  svg.addEventListener("wheel", function (event) {
    event.preventDefault();
    var box = svg.getBoundingClientRect();
    var delta = event.deltaMode === 1 ? event.deltaY * 16 : event.deltaY;
    zoomAt(Math.exp(-delta * 0.0015), event.clientX - box.left, event.clientY - box.top);
  }, { passive: false });

  var drag = null;
  var dragged = false;
  svg.addEventListener("pointerdown", function (event) {
    if (event.button !== 0) return;
    drag = { x: event.clientX, y: event.clientY, fromX: view.x, fromY: view.y, moved: false };
    dragged = false;
  });
  window.addEventListener("pointermove", function (event) {
    if (!drag) return;
    var dx = event.clientX - drag.x;
    var dy = event.clientY - drag.y;
    if (!drag.moved && Math.abs(dx) + Math.abs(dy) < 4) return;
    drag.moved = true;
    svg.classList.add("gs-dragging");
    view.x = drag.fromX + dx;
    view.y = drag.fromY + dy;
    apply();
  });
  window.addEventListener("pointerup", function () {
    if (drag && drag.moved) dragged = true;
    drag = null;
    svg.classList.remove("gs-dragging");
  });

  document.getElementById("gs-zoom-in").addEventListener("click", function () { zoomCentre(1.25); });
  document.getElementById("gs-zoom-out").addEventListener("click", function () { zoomCentre(0.8); });
  document.getElementById("gs-fit").addEventListener("click", fit);
  document.addEventListener("keydown", function (event) {
    if (event.target && event.target.tagName === "BUTTON") return;
    if (event.key === "+" || event.key === "=") zoomCentre(1.25);
    else if (event.key === "-") zoomCentre(0.8);
    else if (event.key === "0") fit();
    else if (event.key === "Escape") select(null);
  });

  /* ---- the panel ---- */
  function diagnosticItem(index) {
    var found = data.diagnostics[index];
    var item = element("li", null, "gs-diagnostic gs-" + found.severity);
    item.setAttribute("data-code", found.code);
    var head = element("span", found.severity + " " + found.code, "gs-code");
    head.title = found.title;
    item.appendChild(head);
    item.appendChild(element("span", " " + found.message, "gs-message"));
    if (found.hint) item.appendChild(element("span", "hint: " + found.hint, "gs-hint-line"));
    var where = found.line ? "line " + found.line : "";
    if (found.path && found.path !== "<root>") where += (where ? ", " : "") + found.path;
    if (where) item.appendChild(element("span", where, "gs-where"));
    if (found.vertex && groups[found.vertex]) {
      item.classList.add("gs-linked");
      item.tabIndex = 0;
      item.addEventListener("click", function () { select(found.vertex, true); });
      item.addEventListener("keydown", function (event) {
        if (event.key === "Enter") select(found.vertex, true);
      });
    }
    return item;
  }

  function rows(into, entries, field) {
    var table = element("dl");
    entries.forEach(function (entry) {
      var term = element("dt", field ? entry[0] : entry[1]);
      var value = element("dd", field ? entry[1] : entry[2]);
      value.setAttribute("data-field", field || entry[0]);
      table.appendChild(term);
      table.appendChild(value);
    });
    into.appendChild(table);
  }

  function show(id) {
    details.textContent = "";
    if (id === null) {
      details.appendChild(element("p", "Click a node, an input or a head to see it here.", "gs-hint"));
      return;
    }
    var vertex = data.vertices[id];
    var title = element("h2", vertex.qualified, "gs-name");
    details.appendChild(title);
    details.appendChild(element("p", vertex.kind, "gs-kind"));
    rows(details, vertex.rows);
    if (vertex.arguments.length) {
      details.appendChild(element("h3", "Arguments"));
      rows(details, vertex.arguments, "argument");
    }
    if (vertex.diagnostics.length) {
      details.appendChild(element("h3", "Diagnostics here"));
      var here = element("ul", null, "gs-here");
      vertex.diagnostics.forEach(function (index) { here.appendChild(diagnosticItem(index)); });
      details.appendChild(here);
    }
    if (vertex.source.length) {
      details.appendChild(element("h3", "In the spec, line " + vertex.line));
      details.appendChild(element("pre", vertex.source.join("\n"), "gs-source"));
    }
  }

  function select(id, centre) {
    if (selected) selected.classList.remove("gs-selected");
    selected = id === null ? null : groups[id];
    if (selected) {
      selected.classList.add("gs-selected");
      if (centre) centreOn(selected);
    }
    show(selected ? id : null);
  }

  /* ---- the drawing's vertices: clickable, marked with their diagnostics ---- */
  function badge(group, indices) {
    var worst = "info";
    var text = [];
    indices.forEach(function (index) {
      var found = data.diagnostics[index];
      if (found.severity === "error" || (found.severity === "warning" && worst === "info")) {
        worst = found.severity;
      }
      text.push(found.code + " " + found.message);
    });
    group.classList.add("gs-marked", "gs-marked-" + worst);
    var box = group.getBBox();
    var radius = Math.max(8, Math.min(14, box.height * 0.08));  /* larger on a cluster */
    var mark = document.createElementNS(SVG, "g");
    mark.setAttribute("class", "gs-badge gs-badge-" + worst);
    var circle = document.createElementNS(SVG, "circle");
    circle.setAttribute("cx", (box.x + box.width).toFixed(2));
    circle.setAttribute("cy", box.y.toFixed(2));
    circle.setAttribute("r", radius.toFixed(1));
    var label = document.createElementNS(SVG, "text");
    label.setAttribute("x", (box.x + box.width).toFixed(2));
    label.setAttribute("y", (box.y + radius * 0.45).toFixed(2));
    label.setAttribute("text-anchor", "middle");
    label.setAttribute("font-size", (radius * 1.3).toFixed(1));
    label.textContent = indices.length > 1 ? String(indices.length) : "!";
    var tip = document.createElementNS(SVG, "title");
    tip.textContent = text.join("\n");
    mark.appendChild(tip);
    mark.appendChild(circle);
    mark.appendChild(label);
    group.appendChild(mark);
  }

  /* vertices, and block instances drawn as clusters (their box and label select the node) */
  Array.prototype.forEach.call(svg.querySelectorAll("g.node, g.cluster"), function (group) {
    var title = group.querySelector("title");
    var id = title ? title.textContent : "";
    if (!Object.prototype.hasOwnProperty.call(data.vertices, id)) return;
    groups[id] = group;
    group.setAttribute("data-vertex", id);
    group.setAttribute("tabindex", "0");
    group.setAttribute("role", "button");
    group.setAttribute("aria-label", data.vertices[id].kind + " " + data.vertices[id].qualified);
    group.classList.add("gs-vertex");
    group.addEventListener("click", function () {
      if (dragged) { dragged = false; return; }
      find.value = "";
      select(id, false);
    });
    group.addEventListener("keydown", function (event) {
      if (event.key === "Enter" || event.key === " ") { event.preventDefault(); select(id, false); }
    });
    if (data.vertices[id].diagnostics.length) badge(group, data.vertices[id].diagnostics);
  });

  /* ---- find a vertex by name (inputs, shared entries, nodes, heads; the first match) ---- */
  var find = document.getElementById("gs-find");
  var names = document.getElementById("gs-names");
  var byName = {};
  Object.keys(groups).forEach(function (id) {
    var name = data.vertices[id].qualified;
    if (Object.prototype.hasOwnProperty.call(byName, name)) return;
    byName[name] = id;
    var option = document.createElement("option");
    option.value = name;
    names.appendChild(option);
  });
  function found() {
    var id = byName[find.value.trim()];
    if (id === undefined) return false;
    if (view.k < 0.8) zoomCentre(1 / view.k);
    select(id, true);
    return true;
  }
  find.addEventListener("change", found);
  find.addEventListener("keydown", function (event) {
    event.stopPropagation();  /* typing + or 0 in the box does not zoom */
    if (event.key === "Enter") found();
  });

  if (data.diagnostics.length === 0) {
    list.appendChild(element("li", "none", "gs-none"));
  }
  data.diagnostics.forEach(function (found, index) { list.appendChild(diagnosticItem(index)); });
  window.addEventListener("resize", fit);
  fit();
  document.body.setAttribute("data-ready", "true");
})();
