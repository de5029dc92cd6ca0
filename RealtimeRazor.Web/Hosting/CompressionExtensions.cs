namespace RealtimeRazor.Web.Hosting;

public static class CompressionExtensions
{
    /// <summary>
    /// Only HTML is compressed here: static assets are precompressed at build time by MapStaticAssets,
    /// and SDP answers are small and sent once. BREACH needs request input reflected next to a secret:
    /// the voice page reflects nothing, and the sign-in page (which reflects ReturnUrl) opts out.
    /// </summary>
    public static WebApplicationBuilder AddPageCompression(this WebApplicationBuilder builder)
    {
        builder.Services.AddResponseCompression(options =>
        {
            options.EnableForHttps = true;
            options.MimeTypes = ["text/html"];
        });
        return builder;
    }
}
