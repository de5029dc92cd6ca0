using System.Globalization;
using System.Text.RegularExpressions;
using RealtimeRazor.Web.Localization;

namespace RealtimeRazor.Tests.Realtime;

public sealed partial class UiStringsTests
{
    public static TheoryData<string> Languages => new() { "ja", "zh-Hans" };

    [Theory]
    [MemberData(nameof(Languages))]
    public void Every_language_has_exactly_the_English_keys_and_placeholders(string language)
    {
        var strings = UiStrings.ByCulture[language];

        Assert.Equal(UiStrings.English.Keys.Order(), strings.Keys.Order());
        foreach (var (key, english) in UiStrings.English)
        {
            Assert.Equal(Placeholders(english), Placeholders(strings[key]));
            Assert.False(string.IsNullOrWhiteSpace(strings[key]), key);
        }
    }

    [Theory]
    [InlineData("ja-JP", "ja")]
    [InlineData("zh-CN", "zh-Hans")]
    [InlineData("zh-Hans-CN", "zh-Hans")]
    [InlineData("en-GB", "en")]
    [InlineData("fr-FR", "en")]
    public void A_culture_finds_its_nearest_supported_language(string culture, string expected) =>
        Assert.Equal(expected, UiStrings.NameFor(new CultureInfo(culture)));

    private static string[] Placeholders(string text) => [.. Placeholder().Matches(text).Select(match => match.Value).Order()];

    [GeneratedRegex(@"\{\w+\}")]
    private static partial Regex Placeholder();
}
