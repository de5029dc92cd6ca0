using System.Collections.Concurrent;
using System.Net.WebSockets;
using Microsoft.Extensions.AI;

namespace RealtimeRazor.Web.Realtime.Calls;

/// <summary>Makes the controller of each call as soon as its id is known; the call's slot owns it from then on.</summary>
public sealed class CallControllers(CallControllerContext context, IServiceScopeFactory scopes) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<CallController, byte> _live = new();

    /// <summary>Controllers made and not yet disposed: none may outlive its call.</summary>
    public int Live => _live.Count;

    /// <param name="owner">Whose call it is: what it spends counts against their budget.</param>
    /// <param name="forget">Removes the call's slot (which disposes the controller); false when it was already gone.</param>
    public CallController Open(string callId, string owner, IReadOnlyList<AIFunction> tools, Func<bool> forget)
    {
        var controller = new CallController(callId, owner, tools, context, async hangUp =>
        {
            if (!forget() || !hangUp)
                return;
            using var scope = scopes.CreateScope();
            await scope.ServiceProvider.GetRequiredService<OpenAIRealtimeClient>().HangUpAsync(callId, CancellationToken.None);
        });
        _live[controller] = 0;
        controller.Start();
        return controller;
    }

    /// <summary>
    /// A WebSocket call's controller: it reads <paramref name="upstream"/> (already open, configured by the relay)
    /// and hands each event on through <paramref name="forward"/> after acting on it.
    /// </summary>
    /// <param name="end">Ends the call (the upstream closed, a tool hung up, the budget ran out); it must not wait for the controller.</param>
    public CallController OpenRelay(string callId, string owner, IReadOnlyList<AIFunction> tools, ClientWebSocket upstream, Func<ReadOnlyMemory<byte>, ValueTask> forward, Func<Task> end)
    {
        var controller = new CallController(callId, owner, tools, context, _ => end(), (upstream, forward));
        _live[controller] = 0;
        controller.Start();
        return controller;
    }

    /// <summary>Closes a controller whose call has ended; never throws, never blocks the caller.</summary>
    public void Close(CallController controller) => _ = Task.Run(() => CloseAsync(controller));

    /// <summary>Closes a controller and waits until its socket is closed; never throws.</summary>
    public async Task CloseAsync(CallController controller)
    {
        await controller.DisposeAsync();
        _live.TryRemove(controller, out _);
    }

    /// <summary>The server is stopping: no sideband is left open behind it (the calls themselves go on at OpenAI).</summary>
    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(_live.Keys.Select(controller => controller.DisposeAsync().AsTask()));
        _live.Clear();
    }
}
