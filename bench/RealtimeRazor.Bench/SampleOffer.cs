namespace RealtimeRazor.Bench;

/// <summary>A Chromium-shaped audio + data channel offer and a GA session, sized like the real ones.</summary>
internal static class SampleOffer
{
    public const string Sdp =
        "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1\r\na=extmap-allow-mixed\r\na=msid-semantic: WMS 5d2c2b1e\r\n" +
        "m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126\r\nc=IN IP4 0.0.0.0\r\na=rtcp:9 IN IP4 0.0.0.0\r\n" +
        "a=ice-ufrag:Wb8x\r\na=ice-pwd:6nKq0c0Fz9m2XcJq1dS3vW4r\r\na=ice-options:trickle\r\n" +
        "a=fingerprint:sha-256 3F:8A:1C:55:0B:7E:90:21:AA:4D:6C:12:E3:77:B9:08:5C:2D:91:EE:40:3B:A6:7F:18:C9:52:0D:64:FA:2E:81\r\n" +
        "a=setup:actpass\r\na=mid:0\r\na=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n" +
        "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\n" +
        "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n" +
        "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\na=sendrecv\r\na=msid:5d2c2b1e 0c6f2a9b\r\na=rtcp-mux\r\na=rtcp-rsize\r\n" +
        "a=rtpmap:111 opus/48000/2\r\na=rtcp-fb:111 transport-cc\r\na=fmtp:111 minptime=10;useinbandfec=1\r\n" +
        "a=rtpmap:63 red/48000/2\r\na=fmtp:63 111/111\r\na=rtpmap:9 G722/8000\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n" +
        "a=rtpmap:13 CN/8000\r\na=rtpmap:110 telephone-event/48000\r\na=rtpmap:126 telephone-event/8000\r\n" +
        "a=ssrc:1450320573 cname:q3VxV0cB1u3bGk9A\r\na=ssrc:1450320573 msid:5d2c2b1e 0c6f2a9b\r\n" +
        "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\na=ice-ufrag:Wb8x\r\na=ice-pwd:6nKq0c0Fz9m2XcJq1dS3vW4r\r\n" +
        "a=ice-options:trickle\r\n" +
        "a=fingerprint:sha-256 3F:8A:1C:55:0B:7E:90:21:AA:4D:6C:12:E3:77:B9:08:5C:2D:91:EE:40:3B:A6:7F:18:C9:52:0D:64:FA:2E:81\r\n" +
        "a=setup:actpass\r\na=mid:1\r\na=sctp-port:5000\r\na=max-message-size:262144\r\n";

    public const string Session =
        """{"type":"realtime","model":"gpt-realtime","instructions":"You are a helpful, friendly voice assistant. Keep answers short and speak naturally.","output_modalities":["audio"],"audio":{"input":{"noise_reduction":{"type":"near_field"},"transcription":{"model":"gpt-4o-mini-transcribe"},"turn_detection":{"type":"server_vad","threshold":0.5,"prefix_padding_ms":300,"silence_duration_ms":500,"create_response":true,"interrupt_response":true}},"output":{"voice":"marin"}}}""";
}
