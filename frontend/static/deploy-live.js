// Deploy page, live classification: imports the verified wasm bundle's own loader (classify.js, an ES
// module) and classify.wasm from the project's API, classifies a testing sample (its values sent to the
// module as the CSV a device would read) or this device's motion sensors in the browser, and shows the
// studio's server-side result for the same sample beside it. The panel is swapped in by htmx when the
// bundle is ready, so everything here is delegated from the document.
const csrf = () => document.querySelector('meta[name="csrf-token"]')?.content || "";
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const FINISHED = ["succeeded", "failed", "cancelled"];
const NO_MOTION_MS = 3000;
const runtimes = new Map(); // classify.wasm URL -> Promise<{classify, module}>

function runtime(panel) {
  const url = panel.dataset.wasmUrl;
  if (!runtimes.has(url)) {
    const loading = (async () => {
      const [loader, response] = await Promise.all([import(panel.dataset.loaderUrl), fetch(url)]);
      if (!response.ok) throw new Error(`classify.wasm: HTTP ${response.status}`);
      // Compiled once: each classification then only instantiates it.
      return { classify: loader.classify, module: await WebAssembly.compile(await response.arrayBuffer()) };
    })();
    loading.catch(() => runtimes.delete(url));
    runtimes.set(url, loading);
  }
  return runtimes.get(url);
}

async function apiJson(url, options) {
  const response = await fetch(url, options);
  const body = await response.json();
  if (!response.ok) throw new Error(body.error?.message || `HTTP ${response.status}`);
  return body;
}

function toCsv(axes, columns, intervalMs) {
  const lines = ["timestamp," + axes.join(",")];
  for (let i = 0; i < columns[0].length; i++) {
    // String(number) is the shortest text that reads back as the same double: the module sees the
    // recording's float32 values exactly.
    lines.push(String(+(i * intervalMs).toFixed(6)) + "," + columns.map((c) => String(c[i])).join(","));
  }
  return lines.join("\n") + "\n";
}

async function sampleCsv(panel, sampleId) {
  const body = await apiJson(panel.dataset.valuesUrl.replace("{id}", sampleId));
  if (body.downsampled) throw new Error("This sample is too long to send to the browser whole.");
  const axes = JSON.parse(panel.dataset.axes);
  const byName = new Map(body.axes.map((a) => [a.name, a.values]));
  const missing = axes.filter((name) => !byName.has(name));
  if (missing.length) throw new Error(`The sample has no axis named ${missing.join(", ")}.`);
  return { csv: toCsv(axes, axes.map((name) => byName.get(name)), body.interval_ms), intervalMs: body.interval_ms };
}

async function classifyHere(panel, csv, intervalMs) {
  const { classify, module } = await runtime(panel);
  const started = performance.now();
  const result = await classify(module, csv, intervalMs);
  const ms = performance.now() - started;
  return { result, ms, perWindow: ms / Math.max(1, result.windows.length) };
}

async function studioResult(panel, sampleId) {
  let job = await apiJson(panel.dataset.classifyUrl, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf() },
    body: JSON.stringify({ sample_id: Number(sampleId), model_id: Number(panel.dataset.modelId) }),
  });
  while (!FINISHED.includes(job.status)) {
    await sleep(300);
    job = await apiJson(panel.dataset.jobUrl.replace("{id}", job.id));
  }
  if (job.status !== "succeeded") throw new Error(job.error || `job ${job.id} ${job.status}`);
  return job.result;
}

const outcome = (result) => (result.label !== undefined ? String(result.label) : String(result.value));

function scoresOf(result) {
  if (result.scores) return result.scores;
  if (result.score !== undefined) return { "anomaly score": result.score };
  return { value: result.value };
}

function render(article, result, note) {
  const box = article.querySelector(".live-result");
  box.replaceChildren();
  const head = document.createElement("p");
  const strong = document.createElement("strong");
  strong.className = "live-label";
  strong.textContent = outcome(result);
  head.append(strong, ` · ${result.windows.length} window${result.windows.length === 1 ? "" : "s"}`);
  const table = document.createElement("table");
  table.className = "small live-scores";
  for (const [name, score] of Object.entries(scoresOf(result))) {
    const row = table.insertRow();
    row.dataset.class = name;
    row.insertCell().textContent = name;
    row.insertCell().textContent = Number(score).toFixed(5);
  }
  box.append(head, table);
  if (note) {
    const small = document.createElement("p");
    small.className = "small muted live-time";
    small.textContent = note;
    box.append(small);
  }
}

function compare(browser, studio) {
  const a = scoresOf(browser);
  const b = scoresOf(studio);
  const names = new Set([...Object.keys(a), ...Object.keys(b)]);
  let largest = 0;
  for (const name of names) largest = Math.max(largest, Math.abs(Number(a[name]) - Number(b[name])));
  const same = outcome(browser) === outcome(studio) && browser.windows.length === studio.windows.length;
  return { same, largest };
}

function status(panel, text) {
  panel.querySelector("#live-status").textContent = text;
}

async function classifySample(panel) {
  const select = panel.querySelector("#live-sample");
  const sampleId = select.value;
  const verdict = panel.querySelector("#live-verdict");
  verdict.textContent = "";
  delete verdict.dataset.agree;
  panel.querySelector("#live-classify").disabled = true;
  try {
    status(panel, "Loading the bundle and the sample…");
    const studio = panel.dataset.canWrite === "yes" ? studioResult(panel, sampleId) : null;
    studio?.catch(() => {}); // reported below, after the browser's own result
    const { csv, intervalMs } = await sampleCsv(panel, sampleId);
    const here = await classifyHere(panel, csv, intervalMs);
    render(
      panel.querySelector("#live-browser"),
      here.result,
      `${here.perWindow.toFixed(3)} ms per window in this browser (${here.ms.toFixed(1)} ms for ${here.result.windows.length}, CSV parsing and instantiation included)`,
    );
    panel.querySelector("#live-browser").dataset.perWindowMs = here.perWindow.toFixed(4);
    if (!studio) {
      status(panel, "Classified in this browser. The studio's result needs the member role (it runs a job).");
      return;
    }
    status(panel, "Classified in this browser; waiting for the studio's result…");
    const theirs = await studio;
    render(panel.querySelector("#live-studio"), theirs, `${theirs.dtype} model v${theirs.version}, on the server`);
    const { same, largest } = compare(here.result, theirs);
    verdict.dataset.agree = same ? "yes" : "no";
    verdict.textContent = same
      ? `Same result in the browser and in the studio: ${outcome(theirs)}; the largest score difference is ${largest.toFixed(5)}.`
      : `The browser says ${outcome(here.result)}, the studio ${outcome(theirs)} (largest score difference ${largest.toFixed(5)}).`;
    status(panel, "");
  } catch (error) {
    status(panel, `Could not classify: ${error.message}`);
  } finally {
    panel.querySelector("#live-classify").disabled = false;
  }
}

// Live motion ---------------------------------------------------------------------------------------

// DeviceMotion readings by the axis names the studio's capture page gives them (m/s², degrees per second).
const MOTION_AXES = {
  accx: (e) => e.accelerationIncludingGravity?.x,
  accy: (e) => e.accelerationIncludingGravity?.y,
  accz: (e) => e.accelerationIncludingGravity?.z,
  gyrx: (e) => e.rotationRate?.beta,
  gyry: (e) => e.rotationRate?.gamma,
  gyrz: (e) => e.rotationRate?.alpha,
};
let motion = null; // {stop} while running

async function motionPermission() {
  // iOS 13+ asks once, and only from a user gesture.
  if (typeof DeviceMotionEvent !== "undefined" && typeof DeviceMotionEvent.requestPermission === "function") {
    return (await DeviceMotionEvent.requestPermission()) === "granted";
  }
  return typeof DeviceMotionEvent !== "undefined";
}

async function toggleMotion(panel, button) {
  if (motion) {
    motion.stop("Stopped.");
    return;
  }
  const axes = JSON.parse(panel.dataset.axes);
  const readers = axes.map((name) => MOTION_AXES[name.toLowerCase()]);
  if (readers.some((r) => !r)) {
    status(panel, `The impulse's axes (${axes.join(", ")}) are not this device's motion sensors (accX…accZ, gyrX…gyrZ).`);
    return;
  }
  if (!(await motionPermission())) {
    status(panel, "This browser gives no motion sensor access (it needs HTTPS, and a phone or tablet).");
    return;
  }
  const intervalMs = 1000 / Number(panel.dataset.frequencyHz);
  const frames = Math.round(Number(panel.dataset.windowMs) / intervalMs) + 1;
  const everyMs = Math.max(250, Number(panel.dataset.strideMs) || 0);
  let latest = null;
  const onMotion = (e) => {
    const row = readers.map((read) => read(e));
    if (row.every((v) => typeof v === "number")) latest = row;
  };
  const rows = [];
  let busy = false;
  let lastRun = 0;
  const started = Date.now();
  // Sample the latest reading on the impulse's own clock: devices report at their own, often irregular, rate.
  const timer = setInterval(async () => {
    if (!latest) {
      if (Date.now() - started > NO_MOTION_MS) motion?.stop("No motion data arrived: this device seems to have no motion sensors.");
      return;
    }
    rows.push(latest.slice());
    if (rows.length > frames) rows.shift();
    if (rows.length < frames) {
      status(panel, `Filling the first window… ${rows.length} of ${frames} readings`);
      return;
    }
    if (busy || Date.now() - lastRun < everyMs) return;
    busy = true;
    lastRun = Date.now();
    try {
      const columns = axes.map((_, k) => rows.map((r) => r[k]));
      const here = await classifyHere(panel, toCsv(axes, columns, intervalMs), intervalMs);
      if (motion) {
        render(panel.querySelector("#live-browser"), here.result, `live: ${here.perWindow.toFixed(3)} ms per window in this browser`);
        status(panel, "Classifying this device's motion every " + everyMs + " ms…");
      }
    } catch (error) {
      motion?.stop(`Could not classify: ${error.message}`);
    } finally {
      busy = false;
    }
  }, intervalMs);
  window.addEventListener("devicemotion", onMotion);
  button.textContent = "Stop live motion";
  motion = {
    stop(message) {
      clearInterval(timer);
      window.removeEventListener("devicemotion", onMotion);
      button.textContent = "Live from this device's motion sensors";
      motion = null;
      status(panel, message);
    },
  };
  status(panel, "Waiting for motion data…");
}

document.addEventListener("click", (event) => {
  const panel = event.target.closest?.("#live-panel");
  if (!panel) return;
  if (event.target.id === "live-classify") classifySample(panel);
  else if (event.target.id === "live-motion") toggleMotion(panel, event.target);
});
