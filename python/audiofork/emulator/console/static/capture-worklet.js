// Microphone capture: the input's first channel as 16-bit PCM, posted in chunks of
// `processorOptions.chunk` samples (10 ms at the context's rate) with the chunk's peak.
class Capture extends AudioWorkletProcessor {
  constructor(options) {
    super();
    this.size = options.processorOptions.chunk;
    this.chunk = new Int16Array(this.size);
    this.filled = 0;
    this.peak = 0;
  }

  process(inputs) {
    const input = inputs[0] && inputs[0][0];
    if (!input) return true;
    for (let i = 0; i < input.length; i++) {
      const x = Math.max(-1, Math.min(1, input[i]));
      this.peak = Math.max(this.peak, Math.abs(x));
      this.chunk[this.filled++] = x < 0 ? x * 32768 : x * 32767;
      if (this.filled === this.size) {
        const pcm = this.chunk.buffer;
        this.port.postMessage({ pcm, peak: this.peak }, [pcm]);
        this.chunk = new Int16Array(this.size);
        this.filled = 0;
        this.peak = 0;
      }
    }
    return true;
  }
}

registerProcessor("capture", Capture);
