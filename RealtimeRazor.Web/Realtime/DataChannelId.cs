using System.Globalization;
using RealtimeRazor.Web.Hosting;

namespace RealtimeRazor.Web.Realtime;

/// <summary>The relay's <c>dcid</c> query value: the SCTP stream id the page negotiated its data channel on.</summary>
public static class DataChannelId
{
    /// <summary>SCTP stream ids: 65535 is reserved.</summary>
    public const int Max = 65534;

    /// <summary>Absent is fine (null: OpenAI then picks); present must be a plain decimal stream id.</summary>
    public static Refusable<int?> Parse(string? value)
    {
        if (value is null)
            return (int?)null;
        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) || parsed > Max)
            return Refusal.Of(ProblemCode.InvalidDcid, ("maxDataChannelId", Max));
        return parsed;
    }
}
