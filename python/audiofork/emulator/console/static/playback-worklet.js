// What the caller hears: 16-bit PCM frames from the emulator (at the context's rate), played
// from a jitter buffer. Playing starts once PREBUFFER_S is buffered and starts over the
// same way after an underrun; more than MAX_BUFFER_S waiting (the page fell behind) drops
// the oldest. Counters go to the page about every 100 ms.
const PREBUFFER_S = 0.04;
const MAX_BUFFER_S = 0.3;
const AUDIBLE = 0.01; // a sample this loud (-40 dBFS) counts as audio heard

class Playback extends AudioWorkletProcessor {
  constructor() {
    super();
    this.size = Math.ceil(sampleRate * 2);
    this.ring = new Float32Array(this.size);
    this.read = 0;
    this.buffered = 0;
    this.playing = false;
    this.prebuffer = Math.round(sampleRate * PREBUFFER_S);
    this.max = Math.round(sampleRate * MAX_BUFFER_S);
    this.played = 0;
    this.audible = 0;
    this.underruns = 0;
    this.peak = 0;
    this.sinceReport = 0;
    this.port.onmessage = (event) => this.push(new Int16Array(event.data));
  }

  push(pcm) {
    let write = (this.read + this.buffered) % this.size;
    for (let i = 0; i < pcm.length; i++) {
      this.ring[write] = pcm[i] / 32768;
      write = (write + 1) % this.size;
    }
    this.buffered += pcm.length;
    if (this.buffered > this.max) {
      const drop = this.buffered - this.prebuffer;
      this.read = (this.read + drop) % this.size;
      this.buffered -= drop;
    }
  }

  process(_inputs, outputs) {
    const out = outputs[0][0];
    if (!this.playing && this.buffered >= this.prebuffer) this.playing = true;
    for (let i = 0; i < out.length; i++) {
      if (this.playing && this.buffered > 0) {
        const x = this.ring[this.read];
        out[i] = x;
        this.read = (this.read + 1) % this.size;
        this.buffered -= 1;
        this.played += 1;
        const magnitude = Math.abs(x);
        if (magnitude >= AUDIBLE) this.audible += 1;
        if (magnitude > this.peak) this.peak = magnitude;
      } else {
        out[i] = 0;
        if (this.playing) {
          this.playing = false;
          this.underruns += 1;
        }
      }
    }
    this.sinceReport += out.length;
    if (this.sinceReport >= sampleRate / 10) {
      this.port.postMessage({ played: this.played, audible: this.audible, underruns: this.underruns, buffered: this.buffered, peak: this.peak });
      this.sinceReport = 0;
      this.peak = 0;
    }
    return true;
  }
}

registerProcessor("playback", Playback);
