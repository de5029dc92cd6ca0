namespace RealtimeRazor.Web.Records;

/// <summary>One call as the server saw it on the sideband. Audio is never kept.</summary>
public sealed class Conversation
{
    public Guid Id { get; set; }

    /// <summary>Whose it is: <see cref="RecordOwner"/>; only they see it.</summary>
    public required string Owner { get; set; }

    public required string CallId { get; set; }
    public DateTime StartedAt { get; set; }
    public DateTime? EndedAt { get; set; }
    public string? EndReason { get; set; }
    public required string Transport { get; set; }
    public required string Model { get; set; }
    public string? Preset { get; set; }
    public required string Voice { get; set; }

    /// <summary>The conversation this one continued, when it was started with "Continue".</summary>
    public Guid? ContinuedFrom { get; set; }

    public long InputTokens { get; set; }
    public long OutputTokens { get; set; }
    public long TotalTokens { get; set; }

    /// <summary>In millionths of a dollar: every provider sums and orders integers alike.</summary>
    public long CostMicros { get; set; }

    public decimal CostUsd => CostMicros / 1_000_000m;

    public List<ConversationItem> Items { get; set; } = [];
}

public enum ItemRole
{
    User,
    Assistant,
    Tool,
}

/// <summary>One line of a conversation: something said or typed, or a tool call with its outcome.</summary>
public sealed class ConversationItem
{
    public long Id { get; set; }
    public Guid ConversationId { get; set; }

    /// <summary>OpenAI's item id; with <see cref="PreviousItemId"/> it gives the conversation order.</summary>
    public required string ItemId { get; set; }

    public string? PreviousItemId { get; set; }

    /// <summary>The order the items arrived in, for items whose place the chain does not give.</summary>
    public int Sequence { get; set; }

    public DateTime At { get; set; }
    public ItemRole Role { get; set; }
    public string? Text { get; set; }

    /// <summary>The assistant was cut off; <see cref="CutAtMs"/> is how much of its audio was heard.</summary>
    public bool Interrupted { get; set; }

    public int? CutAtMs { get; set; }

    public string? ToolName { get; set; }
    public string? ToolCallId { get; set; }
    public string? ToolArguments { get; set; }
    public string? ToolResult { get; set; }
    public bool ToolFailed { get; set; }
    public int? ToolDurationMs { get; set; }
}
