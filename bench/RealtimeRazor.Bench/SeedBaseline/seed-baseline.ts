// The seed article's client flow, kept faithful on purpose so the benchmark can compare against it:
// every step waits for the previous one. Only the endpoints are the GA ones (the beta ones are gone):
// the server mints a key (GET /session -> POST /v1/realtime/client_secrets), then the microphone,
// then the offer, then the SDP is posted cross-origin to OpenAI's /v1/realtime/calls with that key.
// Its waveform mixes microphone and assistant in one analyser and is redrawn every animation frame,
// as the seed's is.

const openAIBase = new URLSearchParams(location.search).get('openai') ?? 'https://api.openai.com/v1';
const canvas = document.getElementById('wave') as HTMLCanvasElement;
let audioContext: AudioContext | null = null;
let analyser: AnalyserNode | null = null;

async function connect(): Promise<void> {
  const tokenResponse = (await (await fetch('/session')).json()) as { value: string };
  const ephemeralKey = tokenResponse.value;

  const mediaStream = await navigator.mediaDevices.getUserMedia({ audio: true });
  initAudioWaveFormCanvas(mediaStream);

  const peerConn = new RTCPeerConnection();
  const audioEl = document.createElement('audio');
  audioEl.id = 'assistant-audio';
  audioEl.autoplay = true;
  document.body.append(audioEl);
  peerConn.ontrack = (event) => {
    const remoteStream = event.streams[0] ?? new MediaStream([event.track]);
    connectStreamToAnalyser(remoteStream);
    audioEl.srcObject = remoteStream;
  };
  const track = mediaStream.getTracks()[0];
  if (track !== undefined) peerConn.addTrack(track);

  const channel = peerConn.createDataChannel('oai-events');
  channel.addEventListener('message', () => undefined);

  const offer = await peerConn.createOffer();
  await peerConn.setLocalDescription(offer);
  const sdpResponse = await fetch(`${openAIBase}/realtime/calls`, {
    method: 'POST',
    body: offer.sdp ?? '',
    headers: { Authorization: `Bearer ${ephemeralKey}`, 'Content-Type': 'application/sdp' },
  });
  await peerConn.setRemoteDescription({ type: 'answer', sdp: await sdpResponse.text() });
}

function initAudioWaveFormCanvas(stream: MediaStream): void {
  audioContext = new AudioContext();
  analyser = audioContext.createAnalyser();
  analyser.fftSize = 1024;
  connectStreamToAnalyser(stream);
  const samples = new Float32Array(analyser.fftSize);
  const context = canvas.getContext('2d');
  const draw = (): void => {
    if (analyser === null || context === null) return;
    analyser.getFloatTimeDomainData(samples);
    context.clearRect(0, 0, canvas.width, canvas.height);
    context.beginPath();
    const step = canvas.width / samples.length;
    samples.forEach((sample, index) => {
      const y = (1 - sample) * (canvas.height / 2);
      if (index === 0) context.moveTo(0, y);
      else context.lineTo(index * step, y);
    });
    context.stroke();
    requestAnimationFrame(draw);
  };
  requestAnimationFrame(draw);
}

function connectStreamToAnalyser(stream: MediaStream): void {
  if (audioContext === null || analyser === null) return;
  audioContext.createMediaStreamSource(stream).connect(analyser);
}

document.getElementById('connect')?.addEventListener('click', () => void connect());
export {};
