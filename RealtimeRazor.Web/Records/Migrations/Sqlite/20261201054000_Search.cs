using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace RealtimeRazor.Web.Records.Migrations.Sqlite
{
    /// <summary>
    /// History's search: an FTS5 index of what was said, with the trigram tokenizer, so a search is the same
    /// case-insensitive substring match as before (any language, no word splitting) without reading every line
    /// (see docs/benchmarks.md). External content: the text lives once, in conversation_items; triggers keep
    /// the index in step with every insert, text update and delete (cascades included).
    /// </summary>
    [DbContext(typeof(SqliteRecordsDbContext))]
    [Migration("20261201054000_Search")]
    public partial class Search : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE VIRTUAL TABLE conversation_items_search USING fts5(Text, content='conversation_items', content_rowid='Id', tokenize='trigram');
                CREATE TRIGGER conversation_items_search_insert AFTER INSERT ON conversation_items BEGIN
                    INSERT INTO conversation_items_search(rowid, Text) VALUES (new.Id, new.Text);
                END;
                CREATE TRIGGER conversation_items_search_delete AFTER DELETE ON conversation_items BEGIN
                    INSERT INTO conversation_items_search(conversation_items_search, rowid, Text) VALUES ('delete', old.Id, old.Text);
                END;
                CREATE TRIGGER conversation_items_search_update AFTER UPDATE OF Text ON conversation_items BEGIN
                    INSERT INTO conversation_items_search(conversation_items_search, rowid, Text) VALUES ('delete', old.Id, old.Text);
                    INSERT INTO conversation_items_search(rowid, Text) VALUES (new.Id, new.Text);
                END;
                INSERT INTO conversation_items_search(conversation_items_search) VALUES ('rebuild');
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP TRIGGER conversation_items_search_update;
                DROP TRIGGER conversation_items_search_delete;
                DROP TRIGGER conversation_items_search_insert;
                DROP TABLE conversation_items_search;
                """);
        }
    }
}
