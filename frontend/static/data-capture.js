// Capture page: record this device's accelerometer (DeviceMotion, sampled at a chosen frequency) or
// microphone (PCM from an AudioWorklet, encoded to a 16-bit WAV here) and upload it into the project.
(function () {
  "use strict";
  const csrf = () => document.querySelector('meta[name="csrf-token"]')?.content || "";
  const $ = (id) => document.getElementById(id);
  const NO_MOTION_MS = 3000;

  function options(statusEl) {
    const label = $("capture-label").value.trim();
    $("capture-label-error").textContent = "";
    if (!label) {
      $("capture-label-error").textContent = "Give the recording a label.";
      $("capture-label").focus();
      statusEl.textContent = "Idle.";
      return null;
    }
    return { label, category: $("capture-category").value };
  }

  const stamp = () => new Date().toISOString().replace(/[-:]/g, "").replace(/\..*/, "");

  function upload(blob, filename, opts, statusEl) {
    const root = $("capture");
    const body = new FormData();
    body.append("files", blob, filename);
    body.append("label", opts.label);
    body.append("category", opts.category);
    return new Promise((resolve) => {
      const xhr = new XMLHttpRequest();
      xhr.upload.addEventListener("progress", (e) => {
        if (e.lengthComputable) statusEl.textContent = `Uploading… ${Math.round((100 * e.loaded) / e.total)}%`;
      });
      xhr.addEventListener("loadend", () => {
        const row = document.createElement("li");
        row.append(Object.assign(document.createElement("span"), { textContent: filename }));
        const result = document.createElement("span");
        result.className = "result";
        if (xhr.status >= 200 && xhr.status < 300) {
          const sample = JSON.parse(xhr.responseText).files[0].samples[0];
          row.dataset.status = "accepted";
          const link = document.createElement("a");
          link.href = root.dataset.sampleUrl + sample.id;
          link.textContent = `${sample.name} (${sample.label}, ${sample.category})`;
          result.append("Saved as ", link);
          statusEl.textContent = "Saved.";
        } else {
          row.dataset.status = "rejected";
          let message = `HTTP ${xhr.status}`;
          try {
            message = JSON.parse(xhr.responseText).error.message;
          } catch (_) {
            /* keep the status line */
          }
          result.textContent = message;
          statusEl.textContent = "Upload refused.";
        }
        row.append(result);
        $("capture-results").prepend(row);
        resolve();
      });
      xhr.open("POST", root.dataset.uploadUrl);
      xhr.setRequestHeader("X-CSRF-Token", csrf());
      xhr.send(body);
    });
  }

  // Accelerometer ---------------------------------------------------------------------------------

  let latest = null;
  const onMotion = (e) => {
    const a = e.accelerationIncludingGravity;
    if (a && a.x !== null) latest = [a.x, a.y, a.z];
  };

  async function motionPermission() {
    // iOS 13+ asks once, and only from a user gesture.
    if (typeof DeviceMotionEvent !== "undefined" && typeof DeviceMotionEvent.requestPermission === "function") {
      return (await DeviceMotionEvent.requestPermission()) === "granted";
    }
    return typeof DeviceMotionEvent !== "undefined";
  }

  async function recordAccelerometer() {
    const statusEl = $("accel-status");
    const opts = options(statusEl);
    if (!opts) return;
    if (!(await motionPermission())) {
      statusEl.textContent = "This browser gives no motion sensor access (it needs HTTPS, and a phone or tablet).";
      return;
    }
    const hz = parseFloat($("accel-frequency").value);
    const seconds = parseFloat($("accel-seconds").value) || 2;
    const intervalMs = 1000 / hz;
    const total = Math.max(2, Math.round(seconds * hz));
    const values = [];
    const plot = $("accel-plot");
    const traces = ["accX", "accY", "accZ"].map((name) => ({ x: [], y: [], mode: "lines", name }));
    if (window.Plotly) {
      window.Plotly.newPlot(plot, traces, { height: 240, margin: { t: 10, b: 30, l: 40, r: 10 }, xaxis: { title: { text: "ms" } } }, { displaylogo: false });
    }
    latest = null;
    window.addEventListener("devicemotion", onMotion);
    $("accel-start").disabled = true;
    statusEl.textContent = "Waiting for motion data…";
    // Sample the latest reading on a fixed clock: devices report at their own, often irregular, rate.
    const started = Date.now();
    const gotData = await new Promise((resolve) => {
      const timer = setInterval(() => {
        if (!latest) {
          // Laptops fire no motion events (or only empty ones): give up rather than wait forever.
          if (Date.now() - started > NO_MOTION_MS) {
            clearInterval(timer);
            resolve(false);
          }
          return;
        }
        values.push(latest.slice());
        const t = (values.length - 1) * intervalMs;
        statusEl.textContent = `Recording… ${((values.length * intervalMs) / 1000).toFixed(1)} s`;
        if (window.Plotly && values.length % 5 === 0) {
          const recent = values.slice(-5);
          const ts = recent.map((_, i) => t - (recent.length - 1 - i) * intervalMs);
          window.Plotly.extendTraces(plot, { x: [ts, ts, ts], y: [0, 1, 2].map((k) => recent.map((v) => v[k])) }, [0, 1, 2]);
        }
        if (values.length >= total) {
          clearInterval(timer);
          resolve(true);
        }
      }, intervalMs);
    });
    window.removeEventListener("devicemotion", onMotion);
    if (!gotData) {
      statusEl.textContent = "No motion data arrived: this device seems to have no accelerometer.";
      $("accel-start").disabled = false;
      return;
    }
    statusEl.textContent = "Uploading…";
    // Edge Impulse's data acquisition format, unsigned (alg none), as its phone client sends.
    const doc = {
      protected: { ver: "v1", alg: "none", iat: Math.floor(Date.now() / 1000) },
      signature: "0".repeat(64),
      payload: {
        device_name: navigator.userAgent.slice(0, 60),
        device_type: "BROWSER",
        interval_ms: intervalMs,
        sensors: [
          { name: "accX", units: "m/s2" },
          { name: "accY", units: "m/s2" },
          { name: "accZ", units: "m/s2" },
        ],
        values,
      },
    };
    const blob = new Blob([JSON.stringify(doc)], { type: "application/json" });
    await upload(blob, `${opts.label}.${stamp()}.json`, opts, statusEl);
    $("accel-start").disabled = false;
  }

  // Microphone ------------------------------------------------------------------------------------

  function encodeWav(chunks, rate) {
    const n = chunks.reduce((sum, c) => sum + c.length, 0);
    const buffer = new ArrayBuffer(44 + 2 * n);
    const view = new DataView(buffer);
    const text = (offset, s) => [...s].forEach((ch, i) => view.setUint8(offset + i, ch.charCodeAt(0)));
    text(0, "RIFF");
    view.setUint32(4, 36 + 2 * n, true);
    text(8, "WAVE");
    text(12, "fmt ");
    view.setUint32(16, 16, true);
    view.setUint16(20, 1, true); // PCM
    view.setUint16(22, 1, true); // mono
    view.setUint32(24, rate, true);
    view.setUint32(28, rate * 2, true);
    view.setUint16(32, 2, true);
    view.setUint16(34, 16, true);
    text(36, "data");
    view.setUint32(40, 2 * n, true);
    let offset = 44;
    for (const chunk of chunks) {
      for (let i = 0; i < chunk.length; i++, offset += 2) {
        const s = Math.max(-1, Math.min(1, chunk[i]));
        view.setInt16(offset, s < 0 ? s * 0x8000 : s * 0x7fff, true);
      }
    }
    return new Blob([buffer], { type: "audio/wav" });
  }

  async function recordMicrophone() {
    const statusEl = $("mic-status");
    const opts = options(statusEl);
    if (!opts) return;
    if (!navigator.mediaDevices?.getUserMedia) {
      statusEl.textContent = "This browser gives no microphone access here (it needs HTTPS).";
      return;
    }
    const rate = parseInt($("mic-rate").value, 10);
    const seconds = parseFloat($("mic-seconds").value) || 1;
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1, echoCancellation: false, noiseSuppression: false, autoGainControl: false } });
    } catch (err) {
      statusEl.textContent = `No microphone: ${err.message || err.name}.`;
      return;
    }
    $("mic-start").disabled = true;
    // The context resamples the device's rate to the one asked for.
    const context = new AudioContext({ sampleRate: rate });
    try {
      await context.audioWorklet.addModule("/static/data-capture-worklet.js");
    } catch (err) {
      statusEl.textContent = `This browser cannot record audio here: ${err.message || err.name}.`;
      stream.getTracks().forEach((t) => t.stop());
      await context.close();
      $("mic-start").disabled = false;
      return;
    }
    const source = context.createMediaStreamSource(stream);
    const node = new AudioWorkletNode(context, "moteforge-recorder");
    const wanted = Math.round(seconds * context.sampleRate);
    const chunks = [];
    let have = 0;
    await new Promise((resolve) => {
      node.port.onmessage = (e) => {
        if (have >= wanted) return;
        const block = e.data.subarray(0, wanted - have);
        chunks.push(block);
        have += block.length;
        statusEl.textContent = `Recording… ${(have / context.sampleRate).toFixed(1)} s`;
        if (have >= wanted) resolve();
      };
      source.connect(node);
      // A worklet only runs while connected towards the destination; it outputs silence.
      node.connect(context.destination);
      context.resume();
    });
    source.disconnect();
    node.disconnect();
    stream.getTracks().forEach((t) => t.stop());
    await context.close();
    const wav = encodeWav(chunks, context.sampleRate);
    const preview = $("mic-preview");
    preview.src = URL.createObjectURL(wav);
    preview.hidden = false;
    statusEl.textContent = "Uploading…";
    await upload(wav, `${opts.label}.${stamp()}.wav`, opts, statusEl);
    $("mic-start").disabled = false;
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("accel-start")?.addEventListener("click", recordAccelerometer);
    $("mic-start")?.addEventListener("click", recordMicrophone);
  });
})();
