namespace RealtimeRazor.Web.Records;

/// <summary>One change to a conversation's record, queued by <see cref="CallRecorder"/> for <see cref="RecordWriter"/>.</summary>
internal abstract record RecordOp(string CallId);

internal sealed record BeginOp(string CallId, CallDescription Call, DateTime At) : RecordOp(CallId);

internal sealed record ItemOp(string CallId, string ItemId, string? PreviousItemId, ItemRole Role, string? Text, DateTime At,
    string? ToolName = null, string? ToolCallId = null, string? ToolArguments = null) : RecordOp(CallId);

internal sealed record TextOp(string CallId, string ItemId, string Text) : RecordOp(CallId);

internal sealed record CutOp(string CallId, string ItemId, int? AudioEndMs) : RecordOp(CallId);

internal sealed record ToolArgumentsOp(string CallId, string ItemId, string Arguments) : RecordOp(CallId);

internal sealed record ToolOutputOp(string CallId, string ToolCallId, string Output, bool Failed, int? DurationMs) : RecordOp(CallId);

internal sealed record UsageOp(string CallId, long Input, long Output, long Total, long CostMicros) : RecordOp(CallId);

internal sealed record EndOp(string CallId, DateTime At, string Reason) : RecordOp(CallId);

/// <summary>What the server knows of a call when it starts it: whose record it is and how it was set up.</summary>
public sealed record CallDescription(string Owner, string Transport, string Model, string? Preset, string Voice, Guid? ContinuedFrom = null);
