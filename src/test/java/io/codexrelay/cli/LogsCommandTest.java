package io.codexrelay.cli;

import io.codexrelay.store.Database;
import io.codexrelay.testing.Cli;
import io.codexrelay.testing.RequestLogRows;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code logs tail} with filters and {@code -f}, and {@code logs show ID}, on a relay home with a filled log (no daemon). */
class LogsCommandTest {
    @TempDir Path tmp;

    @AfterEach
    void resetFollow() {
        LogsCommand.Tail.followEvery = Duration.ofSeconds(1);
        LogsCommand.Tail.followRounds = Long.MAX_VALUE;
    }

    private Cli home(int rows) throws Exception {
        Path relay = Files.createDirectories(tmp.resolve("relay"));
        try (Database db = new Database(relay.resolve("relay.db"))) {
            RequestLogRows.fill(db, rows);
        }
        return new Cli(relay);
    }

    @Test
    void tailFiltersByAccountStatusAndTool() throws Exception {
        Cli cli = home(60);
        Cli.Result b = cli.run("logs", "tail", "-n", "5", "--account", "B", "--ids");
        assertThat(b.exit()).as(b.toString()).isZero();
        var rows = b.out().lines().skip(1).toList();
        assertThat(rows).hasSize(5).allSatisfy(l -> assertThat(l.split("\\s+")[3]).isEqualTo("B"));
        Cli.Result limited = cli.run("logs", "tail", "-n", "100", "--status", "rate-limited");
        assertThat(limited.out().lines().skip(1).toList()).hasSize(5).allSatisfy(l -> assertThat(l).contains(" 429 "));
        Cli.Result claude = cli.run("logs", "tail", "--tool", "claude");
        assertThat(claude.exit()).isZero();
        assertThat(claude.out()).contains("No requests logged yet that match.");
        assertThat(cli.run("logs", "tail", "--status", "sideways").exit()).isEqualTo(RootCommand.EXIT_USAGE);
    }

    @Test
    void showPrintsOneRequestAndAnUnknownIdFails() throws Exception {
        Cli cli = home(60);
        Cli.Result r = cli.run("logs", "show", "50");
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).contains("Request:       #50  /v1/responses  (codex)").contains("Status:        502 (transient)")
                .contains("1. X:429 usage_limit_reached").contains("Error:         bad gateway from upstream");
        Cli.Result missing = cli.run("logs", "show", "999");
        assertThat(missing.exit()).isEqualTo(RootCommand.EXIT_FAILURE);
        assertThat(missing.err()).contains("No request #999");
    }

    @Test
    void followPrintsRowsLoggedAfterItStarted() throws Exception {
        Cli cli = home(3);
        LogsCommand.Tail.followEvery = Duration.ofMillis(300);
        LogsCommand.Tail.followRounds = 20;
        Thread writer = new Thread(() -> {
            try {
                Thread.sleep(800);
                try (Database db = new Database(tmp.resolve("relay/relay.db"))) {
                    RequestLogRows.fill(db, 2);   // two more rows (new ids)
                }
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        writer.start();
        Cli.Result r = cli.run("logs", "tail", "-f", "--ids", "--json");
        writer.join();
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out().lines().filter(l -> l.startsWith("{")).map(l -> l.replaceAll(".*\"id\":(\\d+).*", "$1")).toList())
                .containsExactly("1", "2", "3", "4", "5");
    }

    @Test
    void tailFiltersByClientAndShowPrintsIt() throws Exception {
        Path relay = Files.createDirectories(tmp.resolve("relay"));
        try (Database db = new Database(relay.resolve("relay.db"))) {
            RequestLogRows.fill(db, 4);   // rows from before the client was recorded
            db.inTransaction(c -> {
                try (var ps = c.prepareStatement("INSERT INTO request_log(started_at_ms, account, model, path, status, duration_ms, client) "
                        + "VALUES (?, ?, 'gpt-5', '/v1/responses', 200, 900, ?)")) {
                    String[][] rows = {{"A", "codex"}, {"B", "run:4242 codex"}, {"B", "home:proj"}, {"B", "run:4242 codex"}};
                    for (int i = 0; i < rows.length; i++) {
                        ps.setLong(1, RequestLogRows.T0.plusSeconds(1000 + i).toEpochMilli());
                        ps.setString(2, rows[i][0]);
                        ps.setString(3, rows[i][1]);
                        ps.addBatch();
                    }
                    ps.executeBatch();
                }
                return null;
            });
        }
        Cli cli = new Cli(relay);
        Cli.Result run = cli.run("logs", "tail", "--client", "run:4242 codex", "--ids");
        assertThat(run.exit()).as(run.toString()).isZero();
        var lines = run.out().lines().toList();
        assertThat(lines.get(0).split("\\s+")).startsWith("ID", "TIME", "ACCOUNT", "CLIENT");
        assertThat(lines.subList(1, lines.size())).hasSize(2).allSatisfy(l -> assertThat(l).contains(" B ").contains("run:4242 codex"));
        assertThat(lines.subList(1, lines.size())).extracting(l -> l.split("\\s+")[0]).containsExactly("6", "8");
        Cli.Result all = cli.run("logs", "tail", "-n", "100");
        assertThat(all.out().lines().skip(1).toList()).hasSize(8);
        assertThat(cli.run("logs", "tail", "--client", "nobody").out()).contains("No requests logged yet that match.");

        Cli.Result show = cli.run("logs", "show", "7");
        assertThat(show.exit()).as(show.toString()).isZero();
        assertThat(show.out()).contains("Client:        home:proj");
        assertThat(cli.run("logs", "show", "1").out()).contains("Client:        -");
        Cli.Result json = cli.run("logs", "show", "8", "--json");
        assertThat(json.out()).contains("\"client\": \"run:4242 codex\"");
    }
}
