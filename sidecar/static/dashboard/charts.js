// Small inline-SVG charts for the dashboard: columns, a line, stacked bars. No library, nothing fetched.
"use strict";

const Charts = (() => {
  const SVG = "http://www.w3.org/2000/svg";
  const WIDTH = 640, HEIGHT = 220, PAD = {left: 56, right: 12, top: 12, bottom: 28};
  const COLOURS = ["#2f6fdf", "#e0892d", "#3c9d5d", "#c2463e", "#8459c2", "#6b7280"];

  function node(name, attributes, text) {
    const element = document.createElementNS(SVG, name);
    for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, value);
    if (text !== undefined) element.textContent = text;
    return element;
  }

  function canvas(target, label) {
    const svg = node("svg", {viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: "img", "aria-label": label});
    target.replaceChildren(svg);
    return svg;
  }

  function empty(target, label) {
    const svg = canvas(target, label);
    svg.append(node("text", {x: WIDTH / 2, y: HEIGHT / 2, "text-anchor": "middle", class: "muted"}, "no data"));
  }

  function compact(value) {
    const size = Math.abs(value);
    if (size >= 1e6) return (value / 1e6).toFixed(1) + "M";
    if (size >= 1e4) return (value / 1e3).toFixed(0) + "k";
    return String(Math.round(value));
  }

  function axes(svg, low, high, first, last) {
    const bottom = HEIGHT - PAD.bottom;
    svg.append(node("line", {x1: PAD.left, y1: bottom, x2: WIDTH - PAD.right, y2: bottom, class: "axis"}));
    svg.append(node("text", {x: PAD.left - 6, y: PAD.top + 4, "text-anchor": "end", class: "tick"}, compact(high)));
    svg.append(node("text", {x: PAD.left - 6, y: bottom, "text-anchor": "end", class: "tick"}, compact(low)));
    svg.append(node("text", {x: PAD.left, y: HEIGHT - 8, class: "tick"}, first));
    svg.append(node("text", {x: WIDTH - PAD.right, y: HEIGHT - 8, "text-anchor": "end", class: "tick"}, last));
  }

  function scale(low, high) {
    const span = high - low || 1;
    return (value) => HEIGHT - PAD.bottom - ((value - low) / span) * (HEIGHT - PAD.top - PAD.bottom);
  }

  // points: [{label, value}] in order; one column each.
  function columns(target, points, label) {
    if (!points.length) return empty(target, label);
    const svg = canvas(target, label);
    const high = Math.max(1, ...points.map((p) => p.value));
    const y = scale(0, high);
    const step = (WIDTH - PAD.left - PAD.right) / points.length;
    axes(svg, 0, high, points[0].label, points[points.length - 1].label);
    points.forEach((p, i) => {
      const top = y(p.value);
      const bar = node("rect", {x: PAD.left + i * step, y: top, width: Math.max(step - 1, 0.5),
                                height: HEIGHT - PAD.bottom - top, class: "column"});
      bar.append(node("title", {}, `${p.label}: ${p.value}`));
      svg.append(bar);
    });
  }

  // points: [{label, value}] in order; one line through them.
  function line(target, points, label) {
    if (!points.length) return empty(target, label);
    const svg = canvas(target, label);
    const values = points.map((p) => p.value);
    const low = Math.min(0, ...values), high = Math.max(1, ...values);
    const y = scale(low, high);
    const step = (WIDTH - PAD.left - PAD.right) / Math.max(points.length - 1, 1);
    axes(svg, low, high, points[0].label, points[points.length - 1].label);
    const path = points.map((p, i) => `${PAD.left + i * step},${y(p.value).toFixed(1)}`).join(" ");
    svg.append(node("polyline", {points: path, class: "line"}));
  }

  // rows: [{label, parts: [{name, value}]}]; one horizontal bar per row, a segment per part.
  function stacked(target, rows, label) {
    if (!rows.length) return empty(target, label);
    const svg = canvas(target, label);
    const names = [...new Set(rows.flatMap((r) => r.parts.map((p) => p.name)))];
    const high = Math.max(1, ...rows.map((r) => r.parts.reduce((sum, p) => sum + p.value, 0)));
    const band = (HEIGHT - PAD.top - PAD.bottom) / rows.length;
    const width = (WIDTH - PAD.left - PAD.right - 110) / high;
    rows.forEach((row, i) => {
      const top = PAD.top + i * band;
      svg.append(node("text", {x: PAD.left - 6, y: top + band / 2 + 4, "text-anchor": "end", class: "tick"}, row.label));
      let x = PAD.left;
      for (const part of row.parts) {
        const segment = node("rect", {x, y: top + 4, width: part.value * width, height: band - 8,
                                      fill: COLOURS[names.indexOf(part.name) % COLOURS.length], class: "segment"});
        segment.append(node("title", {}, `${row.label}, ${part.name}: ${part.value}`));
        svg.append(segment);
        x += part.value * width;
      }
    });
    names.forEach((name, i) => {
      const top = PAD.top + i * 18;
      svg.append(node("rect", {x: WIDTH - 100, y: top, width: 12, height: 12, fill: COLOURS[i % COLOURS.length]}));
      svg.append(node("text", {x: WIDTH - 82, y: top + 10, class: "tick"}, name));
    });
  }

  return {columns, line, stacked};
})();
