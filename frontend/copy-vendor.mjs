// Copies the few built files the studio serves from installed npm packages into static/vendor.
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "static", "vendor");
mkdirSync(out, { recursive: true });
const files = {
  "htmx.min.js": "node_modules/htmx.org/dist/htmx.min.js",
  "pico.min.css": "node_modules/@picocss/pico/css/pico.min.css",
  "plotly.min.js": "node_modules/plotly.js-dist-min/plotly.min.js",
};
for (const [name, src] of Object.entries(files)) {
  copyFileSync(join(here, src), join(out, name));
}
console.log(`vendored ${Object.keys(files).length} files into static/vendor`);
