// kefu-watchdog charts: horizontal bar charts drawn as inline SVG from the ratings JSON
// embedded in the page. Bundled with the plugin: works without internet. Text goes in as
// text nodes only, so nothing a platform writes can run here.
(() => {
  const SVG = "http://www.w3.org/2000/svg";
  const rows = JSON.parse(document.getElementById("watchdog-ratings").textContent);
  const CHARTS = {
    score: { max: 100, format: (v) => v.toFixed(1), color: "#2f6fdf" },
    human_rate: { max: 1, format: (v) => (v * 100).toFixed(0) + "%", color: "#2a9d4b",
                  low: "human_rate_low", high: "human_rate_high" },
    first_human_median_s: { format: (v) => v.toFixed(1) + " s", color: "#d9822b" },
  };
  function node(name, attributes, text) {
    const element = document.createElementNS(SVG, name);
    for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, value);
    if (text !== undefined) element.textContent = text;
    return element;
  }
  function draw(container, field) {
    const chart = CHARTS[field];
    const shown = rows.filter((row) => row[field] !== null && row[field] !== undefined);
    const max = chart.max || Math.max(1, ...shown.map((row) => row[field]));
    const label = 230, width = 420, bar = 22, gap = 8;
    const svg = node("svg", { width: label + width + 90, height: Math.max(1, shown.length) * (bar + gap) + 10,
                              role: "img", "aria-label": field });
    shown.forEach((row, index) => {
      const y = index * (bar + gap) + 5;
      svg.append(node("text", { x: label - 8, y: y + bar * 0.7, "text-anchor": "end", "font-size": 13 },
                      `${row.name} (${row.platform})`));
      svg.append(node("rect", { x: label, y, width: Math.max(1, (row[field] / max) * width), height: bar,
                                fill: chart.color }));
      if (chart.low) {
        const x1 = label + (row[chart.low] / max) * width, x2 = label + (row[chart.high] / max) * width;
        svg.append(node("line", { x1, x2, y1: y + bar / 2, y2: y + bar / 2, stroke: "#222", "stroke-width": 2 }));
      }
      svg.append(node("text", { x: label + (row[field] / max) * width + 6, y: y + bar * 0.7, "font-size": 13 },
                      chart.format(row[field])));
    });
    if (!shown.length) container.textContent = "No data yet.";
    else container.append(svg);
  }
  document.querySelectorAll(".watchdog-chart").forEach((el) => draw(el, el.dataset.chart));
})();
