// Moteforge loader for classify.wasm: runs the impulse on one CSV recording (an image impulse: one PPM
// frame as a Uint8Array) in the browser or Node and returns the parsed JSON result ({windows, label,
// scores}). Implements the few WASI calls the module uses (stdin, stdout, stderr, args, exit) so no WASI
// polyfill is needed.
//
// `wasm` is the module's bytes or, to classify many recordings without compiling it each time, a
// WebAssembly.Module (from WebAssembly.compile). `intervalMs` is the time between CSV rows (default: the
// impulse's own rate). Example: `const result = await classify(wasmBytes, csvText, 100);`
export async function classify(wasm, csvText, intervalMs) {
  const input = typeof csvText === "string" ? new TextEncoder().encode(csvText) : csvText;
  const args = ["classify", ...(intervalMs ? ["--interval-ms", String(intervalMs)] : [])].map((a) => new TextEncoder().encode(a + "\0"));
  let inputPos = 0;
  let out = "";
  let err = "";
  let memory;
  const view = () => new DataView(memory.buffer);
  const bytes = () => new Uint8Array(memory.buffer);
  class Exit extends Error {
    constructor(code) {
      super("exit " + code);
      this.code = code;
    }
  }
  const wasi = {
    args_sizes_get(countPtr, sizePtr) {
      view().setUint32(countPtr, args.length, true);
      view().setUint32(sizePtr, args.reduce((n, a) => n + a.length, 0), true);
      return 0;
    },
    args_get(argvPtr, bufPtr) {
      for (const a of args) {
        view().setUint32(argvPtr, bufPtr, true);
        bytes().set(a, bufPtr);
        argvPtr += 4;
        bufPtr += a.length;
      }
      return 0;
    },
    environ_sizes_get(countPtr, sizePtr) {
      view().setUint32(countPtr, 0, true);
      view().setUint32(sizePtr, 0, true);
      return 0;
    },
    environ_get() {
      return 0;
    },
    fd_read(fd, iovs, iovsLen, nreadPtr) {
      let total = 0;
      for (let i = 0; i < iovsLen; i++) {
        const ptr = view().getUint32(iovs + 8 * i, true);
        const len = view().getUint32(iovs + 8 * i + 4, true);
        const chunk = input.subarray(inputPos, inputPos + len);
        bytes().set(chunk, ptr);
        inputPos += chunk.length;
        total += chunk.length;
      }
      view().setUint32(nreadPtr, total, true);
      return 0;
    },
    fd_write(fd, iovs, iovsLen, nwrittenPtr) {
      let total = 0;
      for (let i = 0; i < iovsLen; i++) {
        const ptr = view().getUint32(iovs + 8 * i, true);
        const len = view().getUint32(iovs + 8 * i + 4, true);
        const text = new TextDecoder().decode(bytes().subarray(ptr, ptr + len));
        if (fd === 1) out += text;
        else err += text;
        total += len;
      }
      view().setUint32(nwrittenPtr, total, true);
      return 0;
    },
    fd_close: () => 0,
    fd_seek: () => 0,
    fd_fdstat_get(fd, statPtr) {
      view().setUint8(statPtr, fd < 3 ? 2 : 0);
      return 0;
    },
    proc_exit(code) {
      throw new Exit(code);
    },
  };
  const imports = { wasi_snapshot_preview1: new Proxy(wasi, { get: (t, k) => t[k] || (() => 52) }) };
  // Given a Module, instantiate() resolves to the Instance itself; given bytes, to {module, instance}.
  const instance =
    wasm instanceof WebAssembly.Module
      ? await WebAssembly.instantiate(wasm, imports)
      : (await WebAssembly.instantiate(wasm, imports)).instance;
  memory = instance.exports.memory;
  try {
    instance.exports._start();
  } catch (e) {
    if (!(e instanceof Exit)) throw e;
    if (e.code !== 0) throw new Error("classify failed: " + err.trim());
  }
  return JSON.parse(out);
}
