/*
 * Hover values on the version page's charts (web/charts.py draws them on the server).
 *
 * Each <svg class="chart" data-plot="left top width height" data-x="first last"> holds one
 * element per series with data-series (its name), data-colour and data-points ([[epoch,
 * value], …]). Moving the pointer (or focusing the chart and using ← →) over the plot marks
 * the nearest epoch with a vertical line and a dot on each series, and writes the values at
 * that epoch into the chart's read-out (a live region under the chart, so screen readers hear
 * it too). Nothing is fetched; without JavaScript the chart is the same picture, minus this.
 * Runs under a Content-Security-Policy without inline scripts or styles: it only sets SVG
 * attributes and text.
 */
(function () {
  "use strict";

  var SVG = "http://www.w3.org/2000/svg";

  function numbers(text) {
    return String(text || "").split(/\s+/).map(Number);
  }

  function make(name, attributes) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attributes).forEach(function (key) { node.setAttribute(key, attributes[key]); });
    return node;
  }

  function setup(svg, readout) {
    var plot = numbers(svg.dataset.plot), xr = numbers(svg.dataset.x), yr = numbers(svg.dataset.y);
    var left = plot[0], top = plot[1], width = plot[2], height = plot[3];
    var series = Array.prototype.map.call(svg.querySelectorAll(".series"), function (node) {
      var points = JSON.parse(node.dataset.points || "[]");
      var byEpoch = {};
      points.forEach(function (p) { byEpoch[p[0]] = p[1]; });
      return { name: node.dataset.series, colour: node.dataset.colour, byEpoch: byEpoch };
    });
    if (!series.length || width <= 0) return;
    var step = Number(svg.dataset.step) || 0;
    var digits = step > 0 ? Math.min(10, Math.max(0, 2 - Math.floor(Math.log10(step)))) : 4;
    var template = readout.dataset.template || "{epoch}: {values}";

    var layer = make("g", { "class": "hover", visibility: "hidden", "pointer-events": "none" });
    var rule = make("line", { y1: top, y2: top + height, stroke: "#555", "stroke-width": 1, "stroke-dasharray": "3 3" });
    layer.appendChild(rule);
    var dots = series.map(function (s) {
      var dot = make("circle", { r: 4, fill: s.colour, stroke: "#fff", "stroke-width": 1.5 });
      layer.appendChild(dot);
      return dot;
    });
    svg.appendChild(layer);
    // A transparent target over the plot catches the pointer everywhere, not only on lines.
    var target = make("rect", { x: left, y: top, width: width, height: height, fill: "transparent", "class": "hover-target" });
    svg.appendChild(target);

    function xOf(epoch) {
      return left + (xr[1] > xr[0] ? width * (epoch - xr[0]) / (xr[1] - xr[0]) : width / 2);
    }
    function yOf(value) {
      return top + height * (1 - (value - yr[0]) / (yr[1] - yr[0]));
    }

    var current = null;
    function show(epoch) {
      epoch = Math.max(Math.round(xr[0]), Math.min(Math.round(xr[1]), Math.round(epoch)));
      current = epoch;
      var x = xOf(epoch);
      rule.setAttribute("x1", x);
      rule.setAttribute("x2", x);
      var parts = [];
      series.forEach(function (s, i) {
        var value = s.byEpoch[epoch];
        if (value === undefined) {
          dots[i].setAttribute("visibility", "hidden");
          return;
        }
        dots[i].setAttribute("visibility", "visible");
        dots[i].setAttribute("cx", x);
        dots[i].setAttribute("cy", yOf(value));
        parts.push(s.name + " = " + Number(value.toFixed(digits)));
      });
      layer.setAttribute("visibility", "visible");
      readout.textContent = template.replace("{epoch}", epoch).replace("{values}", parts.join(" · "));
      readout.dataset.epoch = String(epoch);
    }
    function hide() {
      layer.setAttribute("visibility", "hidden");
    }
    function fromPointer(event) {
      var box = svg.getBoundingClientRect();
      var viewBox = svg.viewBox && svg.viewBox.baseVal;
      var scale = viewBox && viewBox.width ? viewBox.width / box.width : 1;
      var x = (event.clientX - box.left) * scale;
      var epoch = xr[1] > xr[0] ? xr[0] + (x - left) / width * (xr[1] - xr[0]) : xr[0];
      show(epoch);
    }

    target.addEventListener("mousemove", fromPointer);
    target.addEventListener("mouseleave", hide);
    svg.setAttribute("tabindex", "0");
    svg.addEventListener("focus", function () { show(current === null ? xr[1] : current); });
    svg.addEventListener("blur", hide);
    svg.addEventListener("keydown", function (event) {
      if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") return;
      event.preventDefault();
      show((current === null ? xr[1] : current) + (event.key === "ArrowLeft" ? -1 : 1));
    });
  }

  function init() {
    var boxes = document.querySelectorAll(".chart-box");
    for (var i = 0; i < boxes.length; i++) {
      var svg = boxes[i].querySelector("svg.chart[data-plot]");
      var readout = boxes[i].querySelector(".chart-readout");
      if (svg && readout) setup(svg, readout);
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
