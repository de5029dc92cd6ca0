using System.Text;
using System.Text.RegularExpressions;

namespace RealtimeRazor.Web.Realtime.Tools;

/// <summary>
/// Markdown files split into sections at their headings and ranked by BM25: keyword search that needs
/// no vector database and is good enough to answer from an operator's handbook.
/// </summary>
public sealed partial class DocumentLibrary
{
    private const double K1 = 1.2;
    private const double B = 0.75;
    private const int MaxPassageCharacters = 1200;

    private sealed record Section(string File, string Text, Dictionary<string, int> Terms, int Length);

    private readonly List<Section> _sections;
    private readonly Dictionary<string, int> _documentFrequency = new(StringComparer.Ordinal);
    private readonly double _averageLength;

    private DocumentLibrary(List<Section> sections)
    {
        _sections = sections;
        foreach (var term in sections.SelectMany(section => section.Terms.Keys))
            _documentFrequency[term] = _documentFrequency.GetValueOrDefault(term) + 1;
        _averageLength = sections.Count == 0 ? 1 : Math.Max(1, sections.Average(section => section.Length));
    }

    public static DocumentLibrary Load(string folder) => FromFiles(
        Directory.EnumerateFiles(folder, "*.md", SearchOption.AllDirectories)
            .Order(StringComparer.Ordinal)
            .Select(path => (Path.GetRelativePath(folder, path), File.ReadAllText(path))));

    public static DocumentLibrary FromFiles(IEnumerable<(string Name, string Markdown)> files) =>
        new([.. files.SelectMany(file => Split(file.Markdown).Select(text => Index(file.Name, text)))]);

    public string Search(string query, int maxResults)
    {
        var terms = Tokens(query).Distinct().ToList();
        var ranked = _sections
            .Select(section => (section, score: terms.Sum(term => Score(section, term))))
            .Where(hit => hit.score > 0)
            .OrderByDescending(hit => hit.score)
            .Take(maxResults)
            .ToList();
        if (ranked.Count == 0)
            return "No document matches.";
        var answer = new StringBuilder();
        foreach (var (section, _) in ranked)
            answer.Append("From ").Append(section.File).Append(":\n").Append(section.Text).Append("\n\n");
        return answer.ToString().TrimEnd();
    }

    private double Score(Section section, string term)
    {
        if (!section.Terms.TryGetValue(term, out var frequency))
            return 0;
        var containing = _documentFrequency[term];
        var idf = Math.Log(1 + (_sections.Count - containing + 0.5) / (containing + 0.5));
        return idf * frequency * (K1 + 1) / (frequency + K1 * (1 - B + B * section.Length / _averageLength));
    }

    private static Section Index(string file, string text)
    {
        var terms = new Dictionary<string, int>(StringComparer.Ordinal);
        var length = 0;
        foreach (var token in Tokens(text))
        {
            terms[token] = terms.GetValueOrDefault(token) + 1;
            length++;
        }
        var passage = text.Length > MaxPassageCharacters ? text[..MaxPassageCharacters] + "…" : text;
        return new Section(file, passage, terms, length);
    }

    /// <summary>A new section at every Markdown heading; text before the first heading is a section too.</summary>
    private static IEnumerable<string> Split(string markdown) =>
        Heading().Split(markdown.Replace("\r\n", "\n")).Select(part => part.Trim()).Where(part => part.Length > 0);

    private static IEnumerable<string> Tokens(string text) =>
        Word().Matches(text.ToLowerInvariant()).Select(match => match.Value);

    [GeneratedRegex(@"(?m)^(?=#{1,6}\s)")]
    private static partial Regex Heading();

    [GeneratedRegex(@"[\p{L}\p{N}]+")]
    private static partial Regex Word();
}
