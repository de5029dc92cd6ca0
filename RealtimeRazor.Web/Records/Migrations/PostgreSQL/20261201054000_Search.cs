using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace RealtimeRazor.Web.Records.Migrations.PostgreSQL
{
    /// <summary>
    /// History's search: a trigram GIN index (pg_trgm, a trusted extension any database owner may create) that
    /// ILIKE '%…%' uses as it is, so a search stays a case-insensitive substring match in any language. History
    /// reads it only for what a bounded walk over the user's newest conversations did not find (RecordsStore).
    /// </summary>
    [DbContext(typeof(PostgresRecordsDbContext))]
    [Migration("20261201054000_Search")]
    public partial class Search : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("CREATE EXTENSION IF NOT EXISTS pg_trgm;");
            migrationBuilder.Sql("""CREATE INDEX "IX_conversation_items_Text_trgm" ON conversation_items USING gin ("Text" gin_trgm_ops);""");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""DROP INDEX "IX_conversation_items_Text_trgm";""");
        }
    }
}
