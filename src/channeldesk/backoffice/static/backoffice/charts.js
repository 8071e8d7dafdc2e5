/* Charts of the back office (Chart.js, served from our own static files). */
(function () {
  "use strict";

  function data(id) {
    var element = document.getElementById(id);
    return element ? JSON.parse(element.textContent) : null;
  }

  // Every chart fills its box, is drawn at once and counts from zero; the canvas is marked
  // when drawn (the browser tests wait for the mark).
  function draw(canvas, type, chartData) {
    new window.Chart(canvas, {
      type: type,
      data: chartData,
      options: { responsive: true, maintainAspectRatio: false, animation: false,
        scales: { y: { beginAtZero: true } } }
    });
    canvas.setAttribute("data-rendered", "true");
  }

  function tierChart() {
    var chart = data("tier-chart-data");
    var canvas = document.getElementById("tier-chart");
    if (!chart || !canvas || !window.Chart) { return; }
    draw(canvas, "bar", {
      labels: chart.labels,
      datasets: [
        { label: chart.series.current, data: chart.current, backgroundColor: "#8a94a6" },
        { label: chart.series.projected, data: chart.projected, backgroundColor: "#0b5cad" },
        { label: chart.series.target, data: chart.targets, backgroundColor: "rgba(29, 107, 54, 0.25)",
          borderColor: "#1d6b36", borderWidth: 1 }
      ]
    });
  }

  function renewalsChart() {
    var chart = data("renewals-chart-data");
    var canvas = document.getElementById("renewals-chart");
    if (!chart || !canvas || !window.Chart) { return; }
    draw(canvas, "bar", { labels: chart.labels,
      datasets: [{ label: chart.label, data: chart.contracts, backgroundColor: "#0b5cad" }] });
  }

  function complianceCharts() {
    var chart = data("compliance-chart-data");
    var bySector = document.getElementById("compliance-sector-chart");
    var trend = document.getElementById("compliance-trend-chart");
    if (!chart || !window.Chart) { return; }
    if (bySector) {
      draw(bySector, "bar", { labels: chart.labels,
        datasets: [{ label: chart.label, data: chart.shares.map(Number), backgroundColor: "#a3261b" }] });
    }
    if (trend) {
      draw(trend, "line", { labels: chart.trend_labels,
        datasets: [{ label: chart.label, data: chart.trend.map(Number), borderColor: "#0b5cad" }] });
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    tierChart();
    renewalsChart();
    complianceCharts();
    // A run started from the dashboard has finished: show its figures.
    document.body.addEventListener("run-finished", function () { window.location.reload(); });
  });
})();
