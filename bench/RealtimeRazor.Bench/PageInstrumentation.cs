namespace RealtimeRazor.Bench;

/// <summary>
/// Added to every measured page before its own scripts run. It observes, without changing, what the
/// page does: when Connect is clicked, when getUserMedia runs, when a data channel (or the WebSocket transport's socket) opens and its first
/// server event (the fake's session.created) arrives, and when the
/// assistant's audio first carries energy in <c>&lt;audio id="assistant-audio"&gt;</c>. All times are the
/// page's own <c>performance.now()</c>, so they need no clock shared with the benchmark.
/// </summary>
public static class PageInstrumentation
{
    /// <summary>RMS above which the fake peer's tone (amplitude 0.5, RMS ~0.35) counts as heard.</summary>
    public const double AudioThreshold = 0.05;

    public const string Script = """
        (() => {
          const bench = { clickAt: null, gumStart: null, gumEnd: null, channelOpenAt: null, firstEventAt: null, audioAt: null, channels: [] };
          window.__bench = bench;

          document.addEventListener('click', (event) => {
            if (bench.clickAt === null && event.target instanceof Element && event.target.closest('#connect')) {
              bench.clickAt = performance.now();
              startAudioWatch();
            }
          }, true);

          const devices = navigator.mediaDevices;
          if (devices && devices.getUserMedia) {
            const original = devices.getUserMedia.bind(devices);
            devices.getUserMedia = async (constraints) => {
              bench.gumStart ??= performance.now();
              const stream = await original(constraints);
              bench.gumEnd ??= performance.now();
              return stream;
            };
          }

          // Whatever way the page makes its channel (in-band or pre-negotiated), its opening is seen here.
          const createDataChannel = RTCPeerConnection.prototype.createDataChannel;
          RTCPeerConnection.prototype.createDataChannel = function (...args) {
            const channel = createDataChannel.apply(this, args);
            bench.channels.push({ label: channel.label, negotiated: channel.negotiated });
            channel.addEventListener('open', () => { bench.channelOpenAt ??= performance.now(); });
            channel.addEventListener('message', () => { bench.firstEventAt ??= performance.now(); });
            return channel;
          };

          // The WebSocket transport's socket to the server: its opening and its first event, as a data channel's.
          const NativeWebSocket = window.WebSocket;
          window.WebSocket = class extends NativeWebSocket {
            constructor(...args) {
              super(...args);
              this.addEventListener('open', () => { bench.channelOpenAt ??= performance.now(); });
              this.addEventListener('message', () => { bench.firstEventAt ??= performance.now(); });
            }
          };

          function startAudioWatch() {
            let meter = null;
            const started = performance.now();
            const timer = setInterval(() => {
              if (performance.now() - started > 20000) { clearInterval(timer); return; }
              const stream = document.getElementById('assistant-audio')?.srcObject;
              if (!(stream instanceof MediaStream) || stream.getAudioTracks().length === 0) return;
              if (meter === null || meter.stream !== stream) {
                const context = new AudioContext();
                const analyser = context.createAnalyser();
                // 256 samples at 48 kHz: a ~5 ms window, so the first loud frame is seen within a poll.
                analyser.fftSize = 256;
                context.createMediaStreamSource(stream).connect(analyser);
                meter = { stream, analyser, samples: new Float32Array(256) };
              }
              meter.analyser.getFloatTimeDomainData(meter.samples);
              let sum = 0;
              for (const sample of meter.samples) sum += sample * sample;
              if (Math.sqrt(sum / meter.samples.length) > __THRESHOLD__) {
                bench.audioAt = performance.now();
                clearInterval(timer);
              }
            }, 5);
          }
        })();
        """;

    public static string WithThreshold() => Script.Replace("__THRESHOLD__", AudioThreshold.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
}
