// The emulator's console: one WebSocket (/console/ws) brings the account's calls and the
// watched stream, coalesced by the server; actions go back over it. Everything a peer wrote
// (numbers, names, errors) is shown as text, never as markup.
import { Softphone } from "/console/static/phone.js";

const WAVE_FRAMES = 500; // 10 s of 20 ms frames, as the server keeps
const $ = (id) => document.getElementById(id);

// What tests and curious users can read: counters of what the page received and did.
const exposed = {
  connected: false,
  callsUpdates: 0,
  streamUpdates: 0,
  lastCalls: null,
  watching: null,
  timeline: [],
  acknowledged: 0,
  utterances: [],
  phone: null,
};
window.audiofork = exposed;

function text(tag, content, cls) {
  const el = document.createElement(tag);
  if (content !== undefined && content !== null) el.textContent = String(content);
  if (cls) el.className = cls;
  return el;
}

function dbfs(peak) {
  return peak <= 0 ? -90 : 20 * Math.log10(peak / 32768);
}

function meterWidth(peak) {
  return `${Math.max(0, Math.min(100, (dbfs(peak) + 60) * (100 / 60)))}%`;
}

class Console {
  constructor() {
    this.ws = null;
    this.nextId = 1;
    this.pending = new Map();
    this.watched = null; // first stream id
    this.watchCall = null; // a call whose first stream is to be watched when it appears
    this.calls = [];
    this.waveIn = new Float32Array(WAVE_FRAMES);
    this.waveOut = new Float32Array(WAVE_FRAMES);
    this.waveHead = 0;
    this.waveDirty = true;
    this.utterances = [];
    this.streamFrame = 0;
    this.streamInfo = null;
    this.retry = 500;
    this.phone = null; // the Softphone, for what the emulator's hello says of it
  }

  connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(`${scheme}://${location.host}/console/ws`);
    this.ws = ws;
    ws.onopen = () => { this.retry = 500; };
    ws.onmessage = (event) => this.receive(JSON.parse(event.data));
    ws.onclose = () => {
      exposed.connected = false;
      $("link").textContent = "disconnected: reconnecting…";
      $("link").className = "pill off";
      for (const [, reject] of this.pending) reject(new Error("the connection closed"));
      this.pending.clear();
      setTimeout(() => this.connect(), this.retry);
      this.retry = Math.min(this.retry * 2, 5000);
    };
  }

  send(op, fields = {}) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (!this.ws || this.ws.readyState !== WebSocket.OPEN) {
        reject(new Error("not connected"));
        return;
      }
      this.pending.set(id, [resolve, reject]);
      this.ws.send(JSON.stringify({ id, op, ...fields }));
    }).then((reply) => {
      if (!reply.ok) throw new Error(reply.error);
      return reply;
    });
  }

  receive(message) {
    if (message.type === "hello") {
      exposed.connected = true;
      $("link").textContent = "live";
      $("link").className = "pill";
      $("speed").textContent = message.speed === 1 ? "real time" : `speed ×${message.speed}`;
      $("console").hidden = false;
      $("snapshot").hidden = true;
      this.speed = message.speed;
      if (message.speed !== 1) {
        this.phone.unavailable(`The softphone needs the emulator at --speed 1 (it runs at ×${message.speed}): a microphone talks in real time.`);
      }
      if (this.watched) this.watch(this.watched);
    } else if (message.type === "reply") {
      const entry = this.pending.get(message.id);
      if (entry) {
        this.pending.delete(message.id);
        entry[0](message);
      }
    } else if (message.type === "calls") {
      exposed.callsUpdates += 1;
      exposed.lastCalls = message;
      this.calls = message.calls;
      this.renderCalls(message);
      this.followCall();
    } else if (message.type === "stream") {
      if (message.id !== this.watched) return;
      exposed.streamUpdates += 1;
      this.renderStream(message);
    }
  }

  // --- the calls list ---------------------------------------------------------------------

  renderCalls(message) {
    $("calls-count").textContent = `${message.live} live, ${message.total} in all`;
    const body = document.createElement("tbody");
    for (const call of message.calls) {
      const streams = call.streams.length ? call.streams : [null];
      streams.forEach((stream, index) => {
        const row = document.createElement("tr");
        row.dataset.call = call.call_uuid;
        if (call.status === "completed") row.classList.add("ended");
        if (index === 0) {
          row.append(
            text("td", call.call_uuid.slice(0, 8)),
            text("td", `${call.from} → ${call.to}`),
            text("td", call.hangup_cause ? `${call.status} (${call.hangup_cause})` : call.status),
            text("td", `${call.duration} s`, "num"),
          );
        } else {
          row.append(text("td"), text("td"), text("td"), text("td"));
        }
        if (stream) {
          row.classList.add("stream");
          row.dataset.stream = stream.id;
          if (stream.id === this.watched) row.classList.add("selected");
          row.append(
            text("td", `${stream.stream_id.slice(0, 8)} ${stream.status}`),
            text("td", stream.content_type.replace("audio/x-", "")),
            text("td", stream.frames_to_app, "num"),
            text("td", stream.frames_from_app, "num"),
            text("td", `${stream.queued_ms} ms`, "num"),
            text("td", `${stream.bill_duration} s ${stream.billed_amount}`, "num"),
          );
          row.addEventListener("click", () => this.watch(stream.id));
        } else {
          row.append(text("td", call.error || "no stream", call.error ? "error" : ""));
          row.lastChild.colSpan = 6;
        }
        body.append(row);
      });
    }
    $("calls").replaceChild(body, $("calls").tBodies[0]);
  }

  followCall() {
    if (!this.watchCall) return;
    const call = this.calls.find((c) => c.call_uuid === this.watchCall);
    if (call && call.streams.length) {
      this.watchCall = null;
      this.watch(call.streams[0].id);
    }
  }

  // --- the watched stream -----------------------------------------------------------------

  watch(streamId) {
    this.watched = streamId;
    exposed.watching = streamId;
    exposed.timeline = [];
    exposed.acknowledged = 0;
    this.waveIn.fill(0);
    this.waveOut.fill(0);
    this.waveDirty = true;
    this.utterances = [];
    this.streamFrame = 0;
    $("timeline").replaceChildren();
    $("stream-counters").replaceChildren();
    for (const row of document.querySelectorAll("#calls tr.stream")) {
      row.classList.toggle("selected", row.dataset.stream === streamId);
    }
    this.send("watch", { stream: streamId }).catch((error) => this.result(error));
  }

  renderStream(view) {
    this.streamInfo = view;
    $("stream-title").textContent =
      `: ${view.stream_id} (${view.content_type}) of call ${view.call_uuid}${view.ended ? ", ended" : ""}`;
    for (const [peakIn, peakOut] of view.wave) {
      this.waveIn[this.waveHead] = peakIn;
      this.waveOut[this.waveHead] = peakOut;
      this.waveHead = (this.waveHead + 1) % WAVE_FRAMES;
      this.waveDirty = true;
    }
    const recent = view.wave.slice(-5);
    const peak = (i) => recent.reduce((m, p) => Math.max(m, p[i]), 0);
    $("in-level").style.width = meterWidth(peak(0));
    $("out-level").style.width = meterWidth(peak(1));
    $("queue-ms").textContent = view.queued_ms;
    $("queue-level").style.width = `${Math.min(100, view.queued_ms / 20)}%`; // full at 2 s
    this.utterances = view.utterances;
    exposed.utterances = view.utterances;
    this.streamFrame = view.frame;
    this.drawUtterances();
    const list = $("timeline");
    for (const event of view.events) {
      exposed.timeline.push(event);
      if (event.kind === "acknowledged") exposed.acknowledged += 1;
      const item = text("li", null, event.kind);
      item.append(text("span", `${event.t.toFixed(2)} s`, "t"), text("span", event.kind, "kind"), text("span", event.text));
      list.prepend(item);
    }
    while (list.children.length > 300) list.lastChild.remove();
    if (exposed.timeline.length > 1000) exposed.timeline.splice(0, exposed.timeline.length - 1000);
    const counts = { ...view.counts, "frame": view.frame, "queue (ms)": view.queued_ms };
    $("stream-counters").replaceChildren(
      ...Object.entries(counts).map(([name, value]) => {
        const div = document.createElement("div");
        div.append(text("dt", name.replaceAll("_", " ")), text("dd", value));
        return div;
      }),
    );
  }

  drawWave() {
    if (!this.waveDirty) return;
    this.waveDirty = false;
    const canvas = $("wave");
    const ctx = canvas.getContext("2d");
    const { width, height } = canvas;
    const mid = height / 2;
    ctx.clearRect(0, 0, width, height);
    ctx.fillStyle = "#e7eaf0";
    ctx.fillRect(0, mid, width, 1);
    const step = width / WAVE_FRAMES;
    for (let i = 0; i < WAVE_FRAMES; i++) {
      const k = (this.waveHead + i) % WAVE_FRAMES;
      const x = i * step;
      const up = (this.waveIn[k] / 32768) * (mid - 2);
      const down = (this.waveOut[k] / 32768) * (mid - 2);
      ctx.fillStyle = "#2f6fdf";
      ctx.fillRect(x, mid - up, Math.max(step, 1), up);
      ctx.fillStyle = "#1a9a5a";
      ctx.fillRect(x, mid + 1, Math.max(step, 1), down);
    }
  }

  drawUtterances() {
    const canvas = $("utterances");
    const ctx = canvas.getContext("2d");
    const { width, height } = canvas;
    ctx.clearRect(0, 0, width, height);
    const now = this.streamFrame * 0.02;
    const span = 30; // seconds shown
    const x = (t) => width - ((now - t) / span) * width;
    ctx.font = "11px system-ui";
    for (const u of this.utterances) {
      const total = Math.max(u.queued_ms, 1);
      const start = x(u.start);
      const end = x(u.end === null ? now : u.end);
      const w = Math.max(end - start, 2);
      if (start + w < 0) continue;
      const heard = (w * Math.min(u.played_ms, total)) / total;
      const cleared = (w * Math.min(u.cleared_ms, total)) / total;
      ctx.fillStyle = "#9aa3b2";
      ctx.fillRect(start, 6, w, 22);
      ctx.fillStyle = "#1a9a5a";
      ctx.fillRect(start, 6, heard, 22);
      ctx.fillStyle = "#c2410c";
      ctx.fillRect(start + heard, 6, Math.min(cleared, w - heard), 22);
      ctx.fillStyle = "#1d2330";
      const label = `${u.outcome}: heard ${(u.played_ms / 1000).toFixed(1)} of ${(u.queued_ms / 1000).toFixed(1)} s`;
      ctx.fillText(label, Math.max(start, 2), 42);
    }
  }

  // --- actions ----------------------------------------------------------------------------

  result(outcome) {
    const el = $("action-result");
    el.textContent = outcome instanceof Error ? outcome.message : outcome;
    el.className = outcome instanceof Error ? "status error" : "status";
  }

  streamCall() {
    const info = this.streamInfo;
    if (!info) throw new Error("select a stream in the calls list first");
    return info.call_uuid;
  }

  act(op, fields, done) {
    let call;
    try {
      call = this.streamCall();
    } catch (error) {
      this.result(error);
      return;
    }
    this.send(op, { call, ...fields }).then(() => this.result(done), (error) => this.result(error));
  }

  wire() {
    $("hangup").onclick = () => this.act("hangup", {}, "hung up as the caller");
    $("stop-stream").onclick = () => this.act("stop", { stream: this.watched }, "stream stopped");
    $("speak-speech").onclick = () => this.act("speak", { audio: "speech" }, "the caller says the speech sample");
    $("speak-tone").onclick = () => this.act("speak", { audio: "tone", seconds: 1 }, "the caller says a tone");
    $("stop-speaking").onclick = () => this.act("stop_speaking", {}, "the caller stopped talking");
    $("speak-wav").onchange = async (event) => {
      const file = event.target.files[0];
      if (!file) return;
      const bytes = new Uint8Array(await file.arrayBuffer());
      let binary = "";
      for (let i = 0; i < bytes.length; i += 0x8000) {
        binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      }
      this.act("speak", { wav: btoa(binary) }, `the caller says ${file.name}`);
      event.target.value = "";
    };
    const keypad = $("keypad");
    for (const key of "123A456B789C*0#D") {
      const button = text("button", key);
      button.type = "button";
      button.onclick = () => this.act("dtmf", { digits: key }, `pressed ${key}`);
      keypad.append(button);
    }
    $("call-form").onsubmit = (event) => {
      event.preventDefault();
      const form = new FormData(event.target);
      this.send("call", callRequest(form)).then(
        (reply) => {
          this.result(`call ${reply.call_uuid} placed`);
          this.watchCall = reply.call_uuid;
        },
        (error) => this.result(error),
      );
    };
    const draw = () => {
      this.drawWave();
      requestAnimationFrame(draw);
    };
    requestAnimationFrame(draw);
  }
}

// The fields of a call request from a form with target, url, answer_method, content_type.
export function callRequest(form) {
  const request = { from: form.get("from"), to: form.get("to") };
  if (form.get("target") === "stream_url") {
    request.stream_url = form.get("url");
    request.content_type = form.get("content_type");
  } else {
    request.answer_url = form.get("url");
    request.answer_method = form.get("answer_method");
  }
  return request;
}

const consoleView = new Console();
const phone = new Softphone({
  onDialing: (callUuid) => { consoleView.watchCall = callUuid; consoleView.followCall(); },
  request: () => callRequest(new FormData($("phone-form"))),
  echoCancellation: () => $("phone-form").elements.echo_cancellation.checked,
});
consoleView.phone = phone;
exposed.phone = phone.stats;
consoleView.wire();
consoleView.connect();
