namespace RealtimeRazor.Bench;

/// <summary>
/// A what-if for the recommended client change, measured on our own page and server without editing
/// the page's scripts: it takes over the Connect click (capture phase, before the page's handler) and
/// connects in Relay mode with the offer made BEFORE the microphone is open. The audio transceiver is
/// added without a track and the microphone joins with replaceTrack when getUserMedia resolves, so
/// the offer goes to the server while the device is still starting. It does only what the timing needs
/// (no transcript, no errors): the real change belongs in Scripts/session.ts.
/// </summary>
public static class WhatIfClient
{
    public const string ParallelMicrophone = """
        (() => {
          document.addEventListener('click', async (event) => {
            if (!(event.target instanceof Element) || !event.target.closest('#connect')) return;
            event.stopImmediatePropagation();
            const callsUrl = document.querySelector('main[data-calls-url]').dataset.callsUrl;
            const audio = document.getElementById('assistant-audio');
            const pc = new RTCPeerConnection();
            const transceiver = pc.addTransceiver('audio', { direction: 'sendrecv' });
            const channel = pc.createDataChannel('oai-events');
            pc.addEventListener('track', (e) => {
              audio.srcObject = e.streams[0] ?? new MediaStream([e.track]);
              audio.play().catch(() => undefined);
            });
            const microphone = navigator.mediaDevices
              .getUserMedia({ audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true } })
              .then(async (stream) => { await transceiver.sender.replaceTrack(stream.getAudioTracks()[0]); return stream; });
            const offer = await pc.createOffer();
            await pc.setLocalDescription(offer);
            const response = await fetch(callsUrl, { method: 'POST', headers: { 'Content-Type': 'application/sdp' }, body: offer.sdp });
            await pc.setRemoteDescription({ type: 'answer', sdp: await response.text() });
            await microphone;
            window.__whatIf = { pc, channel };
          }, true);
        })();
        """;
}
