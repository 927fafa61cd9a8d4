// Moteforge browser helpers: CSRF for scripts, and rendering Plotly figures built on the server.
(function () {
  "use strict";
  const csrf = () => document.querySelector('meta[name="csrf-token"]')?.content || "";
  window.moteforge = {
    csrf,
    // Render every <div class="plot" data-figure="..."> (JSON of a Plotly figure) once Plotly is loaded.
    renderPlots(root) {
      if (!window.Plotly) return;
      (root || document).querySelectorAll("div.plot[data-figure]:not([data-rendered])").forEach((el) => {
        const fig = JSON.parse(el.dataset.figure);
        el.dataset.rendered = "1";
        window.Plotly.newPlot(el, fig.data || [], fig.layout || {}, { responsive: true, displaylogo: false });
        if (el.dataset.clickUrl) {
          el.on("plotly_click", (ev) => {
            const id = ev.points?.[0]?.customdata;
            if (id !== undefined) window.location = el.dataset.clickUrl.replace("{id}", id);
          });
        }
      });
    },
  };
  document.addEventListener("DOMContentLoaded", () => window.moteforge.renderPlots());
  document.addEventListener("htmx:afterSettle", (e) => window.moteforge.renderPlots(e.target));
})();
