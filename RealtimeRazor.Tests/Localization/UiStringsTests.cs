using System.Globalization;
using System.Text.RegularExpressions;
using RealtimeRazor.Web.Localization;
using RealtimeRazor.Tests.Support;

namespace RealtimeRazor.Tests.Localization;

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

    /// <summary>The scripts type their keys (i18n.ts); the server's table must hold every one of them.</summary>
    [Fact]
    public void Every_key_the_scripts_use_is_in_the_server_table()
    {
        var source = File.ReadAllText(Path.Combine(Repository.Root, "RealtimeRazor.Web", "Scripts", "i18n.ts"));
        var list = ScriptKeyList().Match(source);
        Assert.True(list.Success, "i18n.ts no longer declares `const keys = [...] as const`");
        var keys = QuotedKey().Matches(list.Groups[1].Value).Select(match => match.Groups[1].Value).ToList();

        Assert.NotEmpty(keys);
        Assert.All(keys, key => Assert.True(UiStrings.English.ContainsKey(key), $"i18n.ts uses '{key}', which UiStrings.English lacks"));
    }

    [GeneratedRegex(@"const keys = \[(.*?)\] as const", RegexOptions.Singleline)]
    private static partial Regex ScriptKeyList();

    [GeneratedRegex("'([^']+)'")]
    private static partial Regex QuotedKey();

    private static string[] Placeholders(string text) => [.. Placeholder().Matches(text).Select(match => match.Value).Order()];

    [GeneratedRegex(@"\{\w+\}")]
    private static partial Regex Placeholder();
}
