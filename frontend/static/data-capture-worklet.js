// AudioWorklet for the capture page: hands each block of microphone samples (channel 0) to the page.
class MoteforgeRecorder extends AudioWorkletProcessor {
  process(inputs) {
    const channel = inputs[0] && inputs[0][0];
    if (channel && channel.length) this.port.postMessage(channel.slice(0));
    return true;
  }
}
registerProcessor("moteforge-recorder", MoteforgeRecorder);
