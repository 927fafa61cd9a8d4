// Data acquisition pages: the upload box (files and folders, one XHR per file for progress and a
// per-file result), handing a rejected CSV to the CSV wizard, explorer selection, the crop preview region.
(function () {
  "use strict";
  const PARALLEL = 3;
  const csrf = () => document.querySelector('meta[name="csrf-token"]')?.content || "";

  // Files in a dropped folder: walk FileSystemEntry trees (readEntries returns batches until empty).
  function readAllEntries(reader) {
    return new Promise((resolve, reject) => {
      const all = [];
      const next = () =>
        reader.readEntries((batch) => {
          if (!batch.length) return resolve(all);
          all.push(...batch);
          next();
        }, reject);
      next();
    });
  }

  async function filesOfEntry(entry, prefix) {
    if (entry.isFile) {
      const file = await new Promise((resolve, reject) => entry.file(resolve, reject));
      return [{ file, path: prefix + file.name }];
    }
    if (entry.isDirectory) {
      const children = await readAllEntries(entry.createReader());
      const nested = await Promise.all(children.map((c) => filesOfEntry(c, prefix + entry.name + "/")));
      return nested.flat();
    }
    return [];
  }

  async function droppedFiles(dataTransfer) {
    const entries = [...(dataTransfer.items || [])]
      .filter((item) => item.kind === "file")
      .map((item) => (item.webkitGetAsEntry ? item.webkitGetAsEntry() : null));
    if (entries.length && entries.every(Boolean)) {
      return (await Promise.all(entries.map((e) => filesOfEntry(e, "")))).flat();
    }
    return [...dataTransfer.files].map((file) => ({ file, path: file.name }));
  }

  // Hidden files (.DS_Store, ._foo) come along with folders; they are never samples.
  const visible = (item) => !item.file.name.startsWith(".");

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => node.setAttribute(k, v));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function errorMessage(xhr) {
    try {
      const body = JSON.parse(xhr.responseText);
      if (body.error?.message) return body.error.message;
      if (body.files?.[0]?.error) return body.files[0].error;
    } catch (_) {
      /* not JSON: fall through to the status text */
    }
    if (xhr.status === 0) return "The connection failed.";
    return `HTTP ${xhr.status} ${xhr.statusText}`;
  }

  // One POST per file so each has its own progress bar and its own accepted/rejected answer.
  function uploadOne(url, item, options, row) {
    return new Promise((resolve) => {
      const body = new FormData();
      body.append("files", item.file, item.file.name);
      body.append("category", options.category);
      if (options.label) body.append("label", options.label);
      const xhr = new XMLHttpRequest();
      const bar = row.querySelector("progress");
      xhr.upload.addEventListener("progress", (e) => {
        if (e.lengthComputable) bar.value = e.loaded / e.total;
      });
      xhr.addEventListener("loadend", () => {
        bar.value = 1;
        let result = { ok: false, message: errorMessage(xhr), samples: [] };
        if (xhr.status >= 200 && xhr.status < 300) {
          const body = JSON.parse(xhr.responseText);
          const samples = body.files.flatMap((f) => f.samples);
          const failed = body.files.filter((f) => !f.success);
          result = {
            ok: true,
            samples,
            message: failed.length ? `${failed.length} part(s) refused: ${failed[0].error}` : "",
          };
        }
        resolve(result);
      });
      xhr.open("POST", url);
      xhr.setRequestHeader("X-CSRF-Token", csrf());
      xhr.setRequestHeader("Accept", "application/json");
      xhr.send(body);
    });
  }

  function showResult(box, row, item, result) {
    const cell = row.querySelector(".result");
    cell.textContent = "";
    row.dataset.status = result.ok ? "accepted" : "rejected";
    if (result.ok) {
      const sampleUrl = box.dataset.sampleUrl;
      result.samples.slice(0, 5).forEach((s, i) => {
        if (i) cell.append(", ");
        cell.append(el("a", { href: sampleUrl + s.id }, `${s.name} (${s.label || "no label"}, ${s.category})`));
      });
      if (result.samples.length > 5) cell.append(` and ${result.samples.length - 5} more`);
      if (result.message) cell.append(el("span", { class: "muted" }, " — " + result.message));
      return;
    }
    cell.append(el("span", { class: "reason" }, result.message));
    if (/\.(csv|txt)$/i.test(item.file.name)) {
      const fix = el("button", { type: "button", class: "small outline" }, "Open in the CSV wizard");
      fix.style.marginLeft = "0.5rem";
      fix.addEventListener("click", () => openInWizard(item.file, box));
      cell.append(fix);
    }
  }

  function openInWizard(file, box) {
    const input = document.getElementById("csv-file");
    if (!input) {
      window.location = box.dataset.sampleUrl + "upload#csv-wizard";
      return;
    }
    const dt = new DataTransfer();
    dt.items.add(file);
    input.files = dt.files;
    input.dispatchEvent(new Event("change", { bubbles: true }));
    document.getElementById("csv-wizard").scrollIntoView({ behavior: "smooth" });
  }

  function initUploadBox(box) {
    const queue = [];
    const zone = box.querySelector("#dropzone");
    const queueText = box.querySelector("#upload-queue");
    const start = box.querySelector("#upload-start");
    const results = box.querySelector("#upload-results");
    const summary = box.querySelector("#upload-summary");
    const labelInput = box.querySelector("#upload-label");
    const labelError = box.querySelector("#upload-label-error");

    const add = (items) => {
      queue.push(...items.filter(visible));
      queueText.textContent = queue.length
        ? `${queue.length} file${queue.length === 1 ? "" : "s"} ready to upload.`
        : "No files chosen.";
      start.disabled = !queue.length;
    };
    box.querySelectorAll('input[type="file"]').forEach((input) =>
      input.addEventListener("change", () => {
        add([...input.files].map((file) => ({ file, path: file.webkitRelativePath || file.name })));
        input.value = "";
      }),
    );
    zone.addEventListener("dragover", (e) => {
      e.preventDefault();
      zone.classList.add("over");
    });
    zone.addEventListener("dragleave", () => zone.classList.remove("over"));
    zone.addEventListener("drop", async (e) => {
      e.preventDefault();
      zone.classList.remove("over");
      add(await droppedFiles(e.dataTransfer));
    });
    labelInput.addEventListener("input", () => {
      box.querySelector("#label-fixed").checked = true;
    });

    start.addEventListener("click", async () => {
      const fixed = box.querySelector('input[name="label-mode"]:checked').value === "fixed";
      const label = labelInput.value.trim();
      labelError.textContent = "";
      if (fixed && !label) {
        labelError.textContent = "Type the label, or choose to take it from the file names.";
        labelInput.focus();
        return;
      }
      const options = {
        label: fixed ? label : "",
        category: box.querySelector('input[name="upload-category"]:checked').value,
      };
      const batch = queue.splice(0, queue.length);
      add([]);
      start.disabled = true;
      let accepted = 0;
      let rejected = 0;
      const rows = batch.map((item) => {
        const row = el("li", { "data-status": "uploading", "data-file": item.path });
        row.append(el("span", { class: "name" }, item.path));
        row.append(el("progress", { value: "0", max: "1", "aria-label": `Upload progress of ${item.path}` }));
        row.append(el("span", { class: "result" }, "waiting…"));
        results.append(row);
        return row;
      });
      const update = (done) => {
        summary.textContent =
          `${accepted} accepted, ${rejected} rejected` + (done ? "." : ` (${batch.length - accepted - rejected} to go)…`);
      };
      update(false);
      let next = 0;
      const worker = async () => {
        while (next < batch.length) {
          const i = next++;
          rows[i].querySelector(".result").textContent = "uploading…";
          const result = await uploadOne(box.dataset.uploadUrl, batch[i], options, rows[i]);
          if (result.ok) accepted++;
          else rejected++;
          showResult(box, rows[i], batch[i], result);
          update(false);
        }
      };
      await Promise.all(Array.from({ length: Math.min(PARALLEL, batch.length) }, worker));
      update(true);
      summary.dataset.done = "1";
      if (accepted) {
        const link = el("a", { href: box.dataset.sampleUrl.replace(/\/$/, ""), id: "upload-see-data" }, "See the data");
        summary.append(" ", link);
      }
    });
  }

  // The CSV wizard re-reads the mapping from scratch when another file is chosen (capture phase, so it
  // runs before htmx's handler on the form collects the fields).
  document.addEventListener(
    "change",
    (e) => {
      if (e.target.id !== "csv-file") return;
      const fresh = document.querySelector('#csv-preview input[name="fresh"]');
      if (fresh) fresh.value = "1";
    },
    true,
  );

  function initSelection() {
    const table = document.getElementById("sample-table");
    if (!table) return;
    const count = () => {
      const n = table.querySelectorAll('input[name="ids"]:checked').length;
      const label = table.querySelector("#selected-count");
      if (label) label.textContent = `${n} selected`;
    };
    table.addEventListener("change", (e) => {
      if (e.target.id === "select-all") {
        table.querySelectorAll('input[name="ids"]').forEach((box) => (box.checked = e.target.checked));
      }
      count();
    });
    document.addEventListener("htmx:afterSettle", count);
  }

  // Shade the crop range on the signal plot while the user types it.
  function initCrop() {
    const plot = document.getElementById("signal-plot");
    if (!plot) return;
    const shade = () => {
      const start = parseFloat(document.getElementById("crop-start")?.value);
      const end = parseFloat(document.getElementById("crop-end")?.value);
      if (!window.Plotly || !plot.dataset.rendered || !(end > start)) return;
      window.Plotly.relayout(plot, {
        shapes: [
          {
            type: "rect", xref: "x", yref: "paper", x0: start, x1: end, y0: 0, y1: 1,
            fillcolor: "rgba(37, 99, 235, 0.12)", line: { width: 1, color: "rgba(37, 99, 235, 0.6)" },
          },
        ],
      });
    };
    document.addEventListener("input", (e) => {
      if (e.target.dataset?.crop) shade();
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    const box = document.getElementById("upload-box");
    if (box) initUploadBox(box);
    initSelection();
    initCrop();
  });
})();
