using System.Buffers;
using System.Text;
using Microsoft.Net.Http.Headers;
using RealtimeRazor.Web.Hosting;

namespace RealtimeRazor.Web.Realtime;

/// <summary>The browser's SDP offer as the relay reads it.</summary>
public static class SdpOffer
{
    /// <summary>The offer, or its refusal: everything that can be refused is refused here, before OpenAI is called.</summary>
    public static async Task<Refusable<string>> ReadAsync(HttpRequest request)
    {
        const int maxBytes = RealtimeEndpoints.MaxOfferBytes;
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var type) || !type.MediaType.Equals("application/sdp", StringComparison.OrdinalIgnoreCase))
            return Refusal.Of(ProblemCode.UnsupportedContentType);
        if (request.ContentLength > maxBytes)
            return TooLarge();

        // Pooled: a fresh 64 KiB array per offer was most of what the relay allocated, and under load each
        // gen0 collection it forced paused every request (the GC is non-concurrent). One byte past the
        // limit tells an oversized body without a Content-Length apart from one that fits exactly.
        var buffer = ArrayPool<byte>.Shared.Rent(maxBytes + 1);
        string sdp;
        try
        {
            var total = 0;
            int read;
            while (total <= maxBytes && (read = await request.Body.ReadAsync(buffer.AsMemory(total, maxBytes + 1 - total), request.HttpContext.RequestAborted)) > 0)
                total += read;
            if (total > maxBytes)
                return TooLarge();
            sdp = Encoding.UTF8.GetString(buffer, 0, total);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            // Kestrel's own request limit (see RequestLimitExtensions) stopped a chunked body first.
            return TooLarge();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        if (!sdp.StartsWith("v=0", StringComparison.Ordinal) || !sdp.Contains("m=audio", StringComparison.Ordinal))
            return Refusal.Of(ProblemCode.InvalidOffer);
        return sdp;

        static Refusal TooLarge() => Refusal.Of(ProblemCode.OfferTooLarge, ("maxKiB", maxBytes / 1024));
    }
}
