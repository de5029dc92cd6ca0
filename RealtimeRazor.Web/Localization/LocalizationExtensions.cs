namespace RealtimeRazor.Web.Localization;

public static class LocalizationExtensions
{
    public static WebApplicationBuilder AddUiLocalization(this WebApplicationBuilder builder)
    {
        builder.Services.Configure<RequestLocalizationOptions>(options =>
        {
            // Accept-Language picks the language until the switcher sets the culture cookie.
            options.SupportedCultures = [.. UiStrings.Cultures];
            options.SupportedUICultures = [.. UiStrings.Cultures];
            options.SetDefaultCulture("en");
        });
        return builder;
    }
}
