namespace RealtimeRazor.Tests.Support;

public static class TestData
{
    /// <summary>A browser-like SDP offer: the lines a log must never repeat are the <c>a=</c> ones.</summary>
    public const string Offer =
        "v=0\r\n" +
        "o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n" +
        "s=-\r\n" +
        "t=0 0\r\n" +
        "a=group:BUNDLE 0 1\r\n" +
        "a=msid-semantic: WMS stream-offer-7f3a\r\n" +
        "m=audio 9 UDP/TLS/RTP/SAVPF 111 63\r\n" +
        "c=IN IP4 0.0.0.0\r\n" +
        "a=ice-ufrag:OfFeRuFrAg\r\n" +
        "a=ice-pwd:offerIcePasswordSecret0123456789\r\n" +
        "a=fingerprint:sha-256 AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89\r\n" +
        "a=setup:actpass\r\n" +
        "a=mid:0\r\n" +
        "a=sendrecv\r\n" +
        "a=rtpmap:111 opus/48000/2\r\n" +
        "a=fmtp:111 minptime=10;useinbandfec=1\r\n" +
        "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n" +
        "c=IN IP4 0.0.0.0\r\n" +
        "a=mid:1\r\n" +
        "a=sctp-port:5000\r\n";

    /// <summary>Unique pieces of <see cref="Offer"/> that would show an SDP had been logged.</summary>
    public static readonly string[] OfferMarkers = ["a=rtpmap", "OfFeRuFrAg", "offerIcePasswordSecret0123456789", "a=fingerprint", "m=audio 9"];
}
