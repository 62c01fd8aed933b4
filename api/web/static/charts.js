// chipgraph charts: chips by TPP x performance density with the criteria in force as regions, and over time.
// Data: the page's own JSON (#chart-data), the same as GET /charts. Drawn with Chart.js (vendored).
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("chart-data").textContent);
  const palette = ["#c0392b", "#1f77b4", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#ff7f0e"];
  const regionColours = { "3A090.a": "rgba(207, 34, 46, 0.13)", "3A090.b": "rgba(245, 159, 0, 0.16)" };
  const countries = Array.from(new Set(data.chips.map(function (c) { return c.country ? c.country.label : "unknown"; }))).sort();

  function year(text) {
    const day = new Date(text + "T00:00:00Z");
    const start = Date.UTC(day.getUTCFullYear(), 0, 1);
    return day.getUTCFullYear() + (day.getTime() - start) / (366 * 86400000);
  }
  function byCountry(point) {
    return countries.map(function (country, index) {
      const chips = data.chips.filter(function (c) { return (c.country ? c.country.label : "unknown") === country; });
      return {
        label: country,
        data: chips.map(point).filter(function (p) { return p !== null; }),
        backgroundColor: palette[index % palette.length],
        pointRadius: 4,
        pointHoverRadius: 7,
      };
    });
  }
  function openChip(chart, event) {
    const hit = chart.getElementsAtEventForMode(event, "nearest", { intersect: true }, false)[0];
    if (hit) window.location.href = chart.data.datasets[hit.datasetIndex].data[hit.index].chip.href;
  }
  function tooltip(context) {
    const chip = context.raw.chip;
    const density = chip.performance_density === null ? "?" : chip.performance_density.toFixed(2);
    return chip.label + ": TPP " + Math.round(chip.tpp) + ", density " + density + (chip.date ? ", " + chip.date : "");
  }
  const regionsPlugin = {
    id: "regions",
    beforeDatasetsDraw: function (chart) {
      const x = chart.scales.x, y = chart.scales.y, ctx = chart.ctx, area = chart.chartArea;
      ctx.save();
      ctx.beginPath();
      ctx.rect(area.left, area.top, area.right - area.left, area.bottom - area.top);
      ctx.clip();
      data.in_force.forEach(function (region) {
        const b = region.bounds;
        const left = b.minTPP ? x.getPixelForValue(b.minTPP) : area.left;
        const right = b.maxTPP ? x.getPixelForValue(b.maxTPP) : area.right;
        const bottom = b.minPerformanceDensity ? y.getPixelForValue(b.minPerformanceDensity) : area.bottom;
        const top = b.maxPerformanceDensity ? y.getPixelForValue(b.maxPerformanceDensity) : area.top;
        ctx.fillStyle = regionColours[region.eccn] || "rgba(100, 100, 100, 0.12)";
        ctx.fillRect(left, top, right - left, bottom - top);
        ctx.strokeStyle = "rgba(60, 60, 60, 0.5)";
        ctx.strokeRect(left, top, right - left, bottom - top);
        ctx.fillStyle = "#333";
        ctx.font = "12px system-ui, sans-serif";
        ctx.fillText(region.eccn + (region.only_for_segment.length ? " (datacenter)" : ""), Math.max(left, area.left) + 4, Math.max(top, area.top) + 14);
      });
      ctx.restore();
    },
  };
  const thresholdLinesPlugin = {
    id: "thresholdLines",
    beforeDatasetsDraw: function (chart) {
      const x = chart.scales.x, y = chart.scales.y, ctx = chart.ctx, area = chart.chartArea;
      ctx.save();
      ctx.setLineDash([6, 4]);
      ctx.font = "12px system-ui, sans-serif";
      ctx.textAlign = "right";
      const drawn = new Set();
      data.regions.forEach(function (region) {
        if (!region.bounds.minTPP || !region.valid_from) return;
        const key = region.eccn + region.bounds.minTPP + region.valid_from + region.valid_until;
        if (drawn.has(key)) return;
        drawn.add(key);
        const from = x.getPixelForValue(year(region.valid_from));
        const until = region.valid_until ? x.getPixelForValue(year(region.valid_until)) : area.right;
        const level = y.getPixelForValue(region.bounds.minTPP);
        if (level < area.top || level > area.bottom) return;
        ctx.strokeStyle = region.eccn === "3A090.a" ? "#cf222e" : "#b35900";
        ctx.beginPath();
        ctx.moveTo(Math.max(from, area.left), level);
        ctx.lineTo(Math.min(until, area.right), level);
        ctx.stroke();
        ctx.fillStyle = ctx.strokeStyle;
        ctx.fillText(region.eccn + " ≥ " + region.bounds.minTPP + " from " + region.valid_from, area.right - 4, level - 4);
      });
      ctx.restore();
    },
  };
  const common = function (xTitle, yTitle, xType) {
    return {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      onClick: function (event, elements, chart) { openChip(chart, event); },
      plugins: { tooltip: { callbacks: { label: tooltip } }, legend: { position: "bottom" } },
      scales: {
        x: { type: xType, title: { display: true, text: xTitle } },
        y: { type: "logarithmic", title: { display: true, text: yTitle } },
      },
    };
  };
  new Chart(document.getElementById("tpp-density"), {
    type: "scatter",
    data: { datasets: byCountry(function (c) { return c.tpp > 0 && c.performance_density > 0 ? { x: c.tpp, y: c.performance_density, chip: c } : null; }) },
    options: common("TPP (TOPS × bit length)", "Performance density (TPP / mm²)", "logarithmic"),
    plugins: [regionsPlugin],
  });
  const timeOptions = common("Release or announcement date", "TPP (TOPS × bit length)", "linear");
  timeOptions.scales.x.ticks = { callback: function (value) { return Number.isInteger(value) ? String(value) : ""; }, stepSize: 1 };
  new Chart(document.getElementById("over-time"), {
    type: "scatter",
    data: { datasets: byCountry(function (c) { return c.date && c.tpp > 0 ? { x: year(c.date), y: c.tpp, chip: c } : null; }) },
    options: timeOptions,
    plugins: [thresholdLinesPlugin],
  });
})();
