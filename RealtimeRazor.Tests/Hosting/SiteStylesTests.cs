using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using RealtimeRazor.Web.Hosting;

namespace RealtimeRazor.Tests.Hosting;

/// <summary>The stylesheet written into each page: read once in Production, read again in Development so an edit shows on reload.</summary>
public sealed class SiteStylesTests : IDisposable
{
    private readonly string _webRoot = Directory.CreateTempSubdirectory("realtimerazor-webroot-").FullName;

    public void Dispose() => Directory.Delete(_webRoot, recursive: true);

    [Theory]
    [InlineData("Development", "main { color: blue; }")]
    [InlineData("Production", "main { color: red; }")]
    public async Task The_page_carries_the_stylesheet_as_the_web_root_has_it_read_again_only_in_Development(string environment, string afterEdit)
    {
        using var provider = new PhysicalFileProvider(_webRoot);
        var context = Page(environment, provider);
        Directory.CreateDirectory(Path.Combine(_webRoot, "css"));
        var file = Path.Combine(_webRoot, SiteStyles.Path);
        await File.WriteAllTextAsync(file, "main { color: red; }");
        Assert.Equal("main { color: red; }", SiteStyles.Inline(context).Value);

        await File.WriteAllTextAsync(file, "main { color: blue; }");

        Assert.Equal(afterEdit, SiteStyles.Inline(context).Value);
    }

    [Fact]
    public async Task A_stylesheet_that_would_end_its_style_element_early_is_refused()
    {
        using var provider = new PhysicalFileProvider(_webRoot);
        Directory.CreateDirectory(Path.Combine(_webRoot, "css"));
        await File.WriteAllTextAsync(Path.Combine(_webRoot, SiteStyles.Path), "main{}</STYLE><script>alert(1)</script>");

        var refused = Assert.Throws<InvalidOperationException>(() => SiteStyles.Inline(Page("Production", provider)));
        Assert.Contains(SiteStyles.Path, refused.Message, StringComparison.Ordinal);
    }

    private static DefaultHttpContext Page(string environment, IFileProvider webRoot)
    {
        var hosting = new Microsoft.Extensions.Hosting.Internal.HostingEnvironment { EnvironmentName = environment };
        var services = new ServiceCollection().AddSingleton<IWebHostEnvironment>(new WebRoot(hosting, webRoot)).BuildServiceProvider();
        return new DefaultHttpContext { RequestServices = services };
    }

    private sealed class WebRoot(Microsoft.Extensions.Hosting.IHostEnvironment hosting, IFileProvider webRoot) : IWebHostEnvironment
    {
        public string EnvironmentName { get => hosting.EnvironmentName; set => hosting.EnvironmentName = value; }
        public string ApplicationName { get; set; } = "RealtimeRazor.Web";
        public string ContentRootPath { get; set; } = "";
        public IFileProvider ContentRootFileProvider { get; set; } = new NullFileProvider();
        public string WebRootPath { get; set; } = "";
        public IFileProvider WebRootFileProvider { get; set; } = webRoot;
    }
}
