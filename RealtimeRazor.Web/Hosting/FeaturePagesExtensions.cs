namespace RealtimeRazor.Web.Hosting;

public static class FeaturePagesExtensions
{
    /// <summary>
    /// Pages live in the folder of the feature they belong to (the voice page in Realtime/, sign-in in
    /// Access/, the language switch in Localization/), not apart in Pages/. Each page names its URL in
    /// its @page directive; the layout and partials are in Shared/.
    /// </summary>
    public static WebApplicationBuilder AddFeaturePages(this WebApplicationBuilder builder)
    {
        builder.Services.AddRazorPages(options =>
        {
            options.RootDirectory = "/";
            // The voice page answered /Index too when it was Pages/Index; the alias stays.
            options.Conventions.AddPageRoute("/Realtime/Index", "Index");
        });
        return builder;
    }
}
