using System.Net;
using System.Net.Http.Headers;
using System.Text;
using RealtimeRazor.Tests.Support;
using RealtimeRazor.Web.Realtime;

namespace RealtimeRazor.Tests.Realtime;

/// <summary>Everything the relay refuses is refused before OpenAI is called (each refused offer costs nothing).</summary>
public sealed class OfferValidationTests : IDisposable
{
    private readonly TestApp app = new();

    public void Dispose() => app.Dispose();

    private async Task AssertRefusedAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        await Problem.AssertAsync(response, status, code);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        Assert.Empty(app.Fake.Arrivals("/realtime/calls"));
        Assert.Empty(app.Fake.Arrivals());
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/json")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("multipart/form-data; boundary=x")]
    [InlineData("application/sdpx")]
    public async Task A_wrong_content_type_gets_415(string contentType)
    {
        using var response = await app.Client.PostAsync("/api/realtime/calls", TestApp.Sdp(TestData.Offer, contentType));

        await AssertRefusedAsync(response, HttpStatusCode.UnsupportedMediaType, "unsupported_content_type");
    }

    [Fact]
    public async Task No_content_type_gets_415()
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(TestData.Offer));

        using var response = await app.Client.PostAsync("/api/realtime/calls", content);

        await AssertRefusedAsync(response, HttpStatusCode.UnsupportedMediaType, "unsupported_content_type");
    }

    [Theory]
    [InlineData("")]
    [InlineData("hello")]
    [InlineData("""{"sdp":"v=0\r\nm=audio 9"}""")]
    [InlineData(" v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n")]
    [InlineData("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n")]
    [InlineData("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n")]
    public async Task A_body_that_is_not_an_audio_offer_gets_400(string body)
    {
        using var response = await app.Client.PostAsync("/api/realtime/calls", TestApp.Sdp(body));

        await AssertRefusedAsync(response, HttpStatusCode.BadRequest, "invalid_offer");
    }

    [Fact]
    public async Task A_request_with_no_body_gets_400()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/realtime/calls") { Content = new ByteArrayContent([]) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/sdp");

        using var response = await app.Client.SendAsync(request);

        await AssertRefusedAsync(response, HttpStatusCode.BadRequest, "invalid_offer");
    }

    private static string OversizedOffer() =>
        TestData.Offer + "a=x-pad:" + new string('p', RealtimeEndpoints.MaxOfferBytes) + "\r\n";

    [Fact]
    public async Task An_offer_over_64_KiB_with_a_Content_Length_gets_413()
    {
        var content = TestApp.Sdp(TestData.Offer + new string('p', RealtimeEndpoints.MaxOfferBytes + 1 - Encoding.UTF8.GetByteCount(TestData.Offer)));
        Assert.Equal(RealtimeEndpoints.MaxOfferBytes + 1, content.Headers.ContentLength);

        using var response = await app.Client.PostAsync("/api/realtime/calls", content);

        await AssertRefusedAsync(response, HttpStatusCode.RequestEntityTooLarge, "offer_too_large");
    }

    [Fact]
    public async Task An_offer_over_64_KiB_sent_chunked_gets_413()
    {
        using var content = new ChunkedContent(Encoding.UTF8.GetBytes(OversizedOffer()));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/sdp");

        using var response = await app.Client.PostAsync("/api/realtime/calls", content);

        await AssertRefusedAsync(response, HttpStatusCode.RequestEntityTooLarge, "offer_too_large");
    }

    [Fact]
    public async Task An_offer_over_64_KiB_sent_chunked_to_Kestrel_gets_413()
    {
        // The in-memory server has no transfer encoding; this one goes over a real socket.
        var address = app.Factory.StartKestrel();
        using var http = new HttpClient { BaseAddress = address };
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/realtime/calls") { Content = new ChunkedContent(Encoding.UTF8.GetBytes(OversizedOffer())) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/sdp");
        request.Headers.TransferEncodingChunked = true;

        using var response = await http.SendAsync(request);

        await AssertRefusedAsync(response, HttpStatusCode.RequestEntityTooLarge, "offer_too_large");
    }

    [Fact]
    public async Task An_offer_over_64_KiB_with_a_Content_Length_to_Kestrel_gets_413()
    {
        var address = app.Factory.StartKestrel();
        using var http = new HttpClient { BaseAddress = address };

        using var response = await http.PostAsync("api/realtime/calls", TestApp.Sdp(OversizedOffer()));

        await AssertRefusedAsync(response, HttpStatusCode.RequestEntityTooLarge, "offer_too_large");
    }

    /// <summary>A body of unknown length: sent with chunked transfer encoding, no Content-Length.</summary>
    private sealed class ChunkedContent(byte[] bytes) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context)
        {
            for (var offset = 0; offset < bytes.Length; offset += 4096)
                await stream.WriteAsync(bytes.AsMemory(offset, Math.Min(4096, bytes.Length - offset)));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
