using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace RealtimeRazor.Web.Records.Migrations.PostgreSQL
{
    /// <inheritdoc />
    public partial class Initial : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "conversations",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    Owner = table.Column<string>(type: "character varying(300)", maxLength: 300, nullable: false),
                    CallId = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    StartedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    EndedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    EndReason = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: true),
                    Transport = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    Model = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    Preset = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true),
                    Voice = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    ContinuedFrom = table.Column<Guid>(type: "uuid", nullable: true),
                    InputTokens = table.Column<long>(type: "bigint", nullable: false),
                    OutputTokens = table.Column<long>(type: "bigint", nullable: false),
                    TotalTokens = table.Column<long>(type: "bigint", nullable: false),
                    CostMicros = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_conversations", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "conversation_items",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    ConversationId = table.Column<Guid>(type: "uuid", nullable: false),
                    ItemId = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    PreviousItemId = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    Sequence = table.Column<int>(type: "integer", nullable: false),
                    At = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    Role = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    Text = table.Column<string>(type: "text", nullable: true),
                    Interrupted = table.Column<bool>(type: "boolean", nullable: false),
                    CutAtMs = table.Column<int>(type: "integer", nullable: true),
                    ToolName = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    ToolCallId = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    ToolArguments = table.Column<string>(type: "text", nullable: true),
                    ToolResult = table.Column<string>(type: "text", nullable: true),
                    ToolFailed = table.Column<bool>(type: "boolean", nullable: false),
                    ToolDurationMs = table.Column<int>(type: "integer", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_conversation_items", x => x.Id);
                    table.ForeignKey(
                        name: "FK_conversation_items_conversations_ConversationId",
                        column: x => x.ConversationId,
                        principalTable: "conversations",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_conversation_items_ConversationId_ItemId",
                table: "conversation_items",
                columns: new[] { "ConversationId", "ItemId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_conversations_CallId",
                table: "conversations",
                column: "CallId",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_conversations_Owner_StartedAt",
                table: "conversations",
                columns: new[] { "Owner", "StartedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_conversations_StartedAt",
                table: "conversations",
                column: "StartedAt");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "conversation_items");

            migrationBuilder.DropTable(
                name: "conversations");
        }
    }
}
