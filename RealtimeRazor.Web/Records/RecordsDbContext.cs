using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace RealtimeRazor.Web.Records;

/// <summary>
/// The records' model. EF Core gives one model, one query language and migrations for both SQLite and
/// PostgreSQL; each provider has its own subclass so each keeps its own migration set.
/// </summary>
public abstract class RecordsDbContext(DbContextOptions options) : DbContext(options)
{
    public DbSet<Conversation> Conversations => Set<Conversation>();
    public DbSet<ConversationItem> Items => Set<ConversationItem>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        ArgumentNullException.ThrowIfNull(modelBuilder);
        modelBuilder.Entity<Conversation>(conversation =>
        {
            conversation.ToTable("conversations");
            conversation.HasKey(c => c.Id);
            conversation.Property(c => c.Owner).HasMaxLength(300);
            conversation.Property(c => c.CallId).HasMaxLength(200);
            conversation.Property(c => c.EndReason).HasMaxLength(40);
            conversation.Property(c => c.Transport).HasMaxLength(20);
            conversation.Property(c => c.Model).HasMaxLength(100);
            conversation.Property(c => c.Preset).HasMaxLength(100);
            conversation.Property(c => c.Voice).HasMaxLength(100);
            conversation.Ignore(c => c.CostUsd);
            conversation.HasIndex(c => c.CallId).IsUnique();
            // History: one user's conversations, newest first; usage and the sweep: by start.
            conversation.HasIndex(c => new { c.Owner, c.StartedAt });
            conversation.HasIndex(c => c.StartedAt);
            conversation.HasMany(c => c.Items).WithOne().HasForeignKey(i => i.ConversationId).OnDelete(DeleteBehavior.Cascade);
        });
        modelBuilder.Entity<ConversationItem>(item =>
        {
            item.ToTable("conversation_items");
            item.HasKey(i => i.Id);
            item.Property(i => i.ItemId).HasMaxLength(200);
            item.Property(i => i.PreviousItemId).HasMaxLength(200);
            item.Property(i => i.ToolName).HasMaxLength(200);
            item.Property(i => i.ToolCallId).HasMaxLength(200);
            item.Property(i => i.Role).HasConversion<string>().HasMaxLength(20);
            item.HasIndex(i => new { i.ConversationId, i.ItemId }).IsUnique();
        });
    }
}

public sealed class SqliteRecordsDbContext(DbContextOptions<SqliteRecordsDbContext> options) : RecordsDbContext(options);

public sealed class PostgresRecordsDbContext(DbContextOptions<PostgresRecordsDbContext> options) : RecordsDbContext(options);

/// <summary>For <c>dotnet ef migrations add X --context SqliteRecordsDbContext</c>; never used at run time.</summary>
public sealed class SqliteRecordsDesignFactory : IDesignTimeDbContextFactory<SqliteRecordsDbContext>
{
    public SqliteRecordsDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SqliteRecordsDbContext>().UseSqlite("Data Source=design.db").Options);
}

/// <summary>For <c>dotnet ef migrations add X --context PostgresRecordsDbContext</c>; never used at run time.</summary>
public sealed class PostgresRecordsDesignFactory : IDesignTimeDbContextFactory<PostgresRecordsDbContext>
{
    public PostgresRecordsDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PostgresRecordsDbContext>().UseNpgsql("Host=localhost;Database=design").Options);
}
