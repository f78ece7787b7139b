// The softphone: the microphone (getUserMedia + an AudioWorklet) as 16-bit PCM to
// /console/phone, and what the caller hears back to the speakers through a second worklet.
// The emulator converts with its resampler both ways; the page sends and plays at its audio
// context's rate.
const $ = (id) => document.getElementById(id);

function meterWidth(peak) {
  const db = peak <= 0 ? -90 : 20 * Math.log10(peak);
  return `${Math.max(0, Math.min(100, (db + 60) * (100 / 60)))}%`;
}

export class Softphone {
  constructor({ onDialing, request, echoCancellation }) {
    this.onDialing = onDialing;
    this.request = request;
    this.echoCancellation = echoCancellation;
    this.ws = null;
    this.context = null;
    this.stream = null;
    // Counters the page exposes (window.audiofork.phone).
    this.stats = {
      state: "idle",
      source: null,
      callUuid: null,
      rate: 0,
      micChunksSent: 0,
      micSamplesSent: 0,
      earFramesReceived: 0,
      earSamplesReceived: 0,
      earSamplesPlayed: 0,
      earAudibleSamples: 0,
      underruns: 0,
      bufferedMs: 0,
      outputLatencyMs: null,
      server: null,
      hangupCause: null,
      error: null,
    };
    $("call-mic").onclick = () => this.call("mic");
    $("call-speech").onclick = () => this.call("speech");
    $("phone-hangup").onclick = () => this.hangup();
  }

  // The emulator cannot take a softphone call (its clock does not run in real time).
  unavailable(reason) {
    $("call-mic").disabled = true;
    $("call-speech").disabled = true;
    this.stats.error = reason;
    this.status(reason, true);
  }

  status(message, isError = false) {
    const el = $("phone-status");
    el.textContent = message;
    el.className = isError ? "status error" : "status";
  }

  setState(state) {
    this.stats.state = state;
    const busy = state === "dialing" || state === "in call";
    $("call-mic").disabled = busy;
    $("call-speech").disabled = busy;
    $("phone-hangup").disabled = !busy;
  }

  async call(source) {
    const request = this.request();
    if (!request.stream_url && !request.answer_url) {
      this.status("give the app's stream URL or answer URL first", true);
      return;
    }
    this.setState("dialing");
    this.stats.error = null;
    try {
      this.context = new AudioContext();
      await this.context.audioWorklet.addModule("/console/static/playback-worklet.js");
      if (source === "mic") {
        await this.context.audioWorklet.addModule("/console/static/capture-worklet.js");
        this.stream = await this.microphone();
      }
    } catch (error) {
      this.teardown();
      this.setState("idle");
      this.stats.error = error.message;
      if (source === "mic") {
        this.status(
          `No microphone: ${error.message}. Call with the speech sample instead: the bundled ` +
            "speech is the caller, and you hear the app.",
          true,
        );
        $("call-speech").classList.add("primary");
      } else {
        this.status(`cannot play audio: ${error.message}`, true);
      }
      return;
    }
    this.stats.source = source;
    this.stats.rate = this.context.sampleRate;
    this.open(source, request);
  }

  async microphone() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      throw new Error("this page is not a secure context (use http://127.0.0.1 or localhost)");
    }
    const processing = this.echoCancellation();
    try {
      return await navigator.mediaDevices.getUserMedia({
        audio: { channelCount: 1, echoCancellation: processing, noiseSuppression: processing, autoGainControl: processing },
      });
    } catch (error) {
      throw new Error(error.name === "NotAllowedError" ? "permission to use the microphone was denied" : error.message);
    }
  }

  open(source, request) {
    const context = this.context;
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(`${scheme}://${location.host}/console/phone`);
    ws.binaryType = "arraybuffer";
    this.ws = ws;
    const player = new AudioWorkletNode(context, "playback", { outputChannelCount: [1] });
    player.connect(context.destination);
    player.port.onmessage = (event) => {
      const s = event.data;
      this.stats.earSamplesPlayed = s.played;
      this.stats.earAudibleSamples = s.audible;
      this.stats.underruns = s.underruns;
      this.stats.bufferedMs = Math.round((s.buffered / context.sampleRate) * 1000);
      $("ear-level").style.width = meterWidth(s.peak);
    };
    ws.onopen = () => {
      ws.send(JSON.stringify({ op: "dial", source, rate: context.sampleRate, ...request }));
      if (this.stream) {
        const mic = context.createMediaStreamSource(this.stream);
        const capture = new AudioWorkletNode(context, "capture", { processorOptions: { chunk: Math.round(context.sampleRate / 100) } });
        capture.port.onmessage = (event) => {
          const { pcm, peak } = event.data;
          $("mic-level").style.width = meterWidth(peak);
          if (ws.readyState === WebSocket.OPEN && this.stats.state === "in call") {
            ws.send(pcm);
            this.stats.micChunksSent += 1;
            this.stats.micSamplesSent += pcm.byteLength / 2;
          }
        };
        mic.connect(capture);
      }
    };
    ws.onmessage = (event) => {
      if (typeof event.data !== "string") {
        this.stats.earFramesReceived += 1;
        this.stats.earSamplesReceived += event.data.byteLength / 2;
        player.port.postMessage(event.data, [event.data]);
        return;
      }
      const message = JSON.parse(event.data);
      if (message.type === "dialing") {
        this.stats.callUuid = message.call_uuid;
        this.setState("in call");
        this.status(`in call ${message.call_uuid}${source === "mic" ? ": talk" : ": the speech sample talks"}`);
        this.onDialing(message.call_uuid);
      } else if (message.type === "stats") {
        this.stats.server = message;
        this.stats.outputLatencyMs = Math.round(((context.baseLatency || 0) + (context.outputLatency || 0)) * 1000);
        this.counters();
      } else if (message.type === "ended") {
        this.stats.hangupCause = message.hangup_cause;
        this.status(`call ended: ${message.hangup_cause}${message.error ? ` (${message.error})` : ""}`);
      } else if (message.type === "error") {
        this.stats.error = message.error;
        this.status(message.error, true);
      }
    };
    ws.onclose = () => {
      this.teardown();
      this.setState("idle");
      this.counters();
    };
  }

  counters() {
    const s = this.stats;
    const server = s.server || {};
    const lat = (path) => (path && path.p50 !== null ? `${path.p50} / ${path.p95} ms` : "–");
    const added = server.mic_to_app_ms && server.mic_to_app_ms.p50 !== null && server.play_to_ear_ms.p50 !== null
      ? `${(server.mic_to_app_ms.p50 + server.play_to_ear_ms.p50).toFixed(1)} ms`
      : "–";
    const rows = {
      "added by the emulator (p50)": added,
      "mic → app (p50 / p95)": lat(server.mic_to_app_ms),
      "played → ear (p50 / p95)": lat(server.play_to_ear_ms),
      "app's queue (p50 / p95)": lat(server.app_queue_ms),
      "browser output": s.outputLatencyMs === null ? "–" : `${s.outputLatencyMs} ms`,
      "jitter buffer": `${s.bufferedMs} ms`,
      "mic sent": `${(s.micSamplesSent / (s.rate || 1)).toFixed(1)} s`,
      "mic dropped / missing": `${server.mic_dropped_ms || 0} / ${server.mic_underrun_ms || 0} ms`,
      "frames heard": s.earFramesReceived,
      "with app audio": server.ear_audio_frames || 0,
      "underruns": s.underruns,
    };
    $("phone-counters").replaceChildren(
      ...Object.entries(rows).map(([name, value]) => {
        const div = document.createElement("div");
        const dt = document.createElement("dt");
        const dd = document.createElement("dd");
        dt.textContent = name;
        dd.textContent = String(value);
        div.append(dt, dd);
        return div;
      }),
    );
  }

  hangup() {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify({ op: "hangup" }));
  }

  teardown() {
    if (this.stream) for (const track of this.stream.getTracks()) track.stop();
    this.stream = null;
    if (this.context) this.context.close();
    this.context = null;
  }
}
