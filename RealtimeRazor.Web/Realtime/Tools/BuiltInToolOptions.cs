namespace RealtimeRazor.Web.Realtime.Tools;

/// <summary>The tools that ship with the app; each is off until enabled here (<c>Realtime:BuiltInTools</c>).</summary>
public sealed class BuiltInToolOptions
{
    public const string Section = "Realtime:BuiltInTools";

    public ClockToolOptions Clock { get; set; } = new();
    public EndCallToolOptions EndCall { get; set; } = new();
    public DocumentsToolOptions Documents { get; set; } = new();
}

public sealed class ClockToolOptions
{
    public bool Enabled { get; set; }

    /// <summary>Used when the model names no time zone (an IANA id such as Europe/Berlin).</summary>
    public string TimeZone { get; set; } = "UTC";
}

public sealed class EndCallToolOptions
{
    public bool Enabled { get; set; }

    /// <summary>
    /// How long after the farewell reply is generated the call is hung up when OpenAI reports no end of
    /// playback (<c>output_audio_buffer.stopped</c>) first.
    /// </summary>
    public double GraceSeconds { get; set; } = 6;
}

public sealed class DocumentsToolOptions
{
    public bool Enabled { get; set; }

    /// <summary>A folder of Markdown files the assistant answers from (read once at startup).</summary>
    public string? Folder { get; set; }

    public int MaxResults { get; set; } = 3;
}
