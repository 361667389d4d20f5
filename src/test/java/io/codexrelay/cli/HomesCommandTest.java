package io.codexrelay.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.codexrelay.testing.Cli;
import io.codexrelay.testing.SyntheticCodexHome;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code homes create|list|bind|remove} offline, and {@code sessions ... --home NAME | --all-homes} over two named homes. */
class HomesCommandTest {
    @TempDir Path tmp;
    final ObjectMapper json = new ObjectMapper();

    private Cli cli() throws Exception {
        Path defaultHome = Files.createDirectories(tmp.resolve("default-codex-home"));
        return new Cli(tmp.resolve("relay")).env("CODEX_HOME", defaultHome.toString()).env("K", "sk-homes-test-key-0001")
                .env("K2", "sk-homes-test-key-0002");
    }

    private Cli.Result ok(Cli cli, String... args) {
        Cli.Result r = cli.run(args);
        assertThat(r.exit()).as(r.toString()).isZero();
        return r;
    }

    @Test
    void homesAreCreatedBoundListedAndRemovedWithoutLosingSessions() throws Exception {
        Cli cli = cli();
        ok(cli, "accounts", "add-key", "--name", "A", "--key-env", "K");
        ok(cli, "accounts", "add-key", "--name", "B", "--key-env", "K2");
        Path src = Files.createDirectories(tmp.resolve("src-home"));
        Files.writeString(src.resolve("config.toml"), "model = \"gpt-5\"\n");
        Files.writeString(src.resolve("AGENTS.md"), "be brief\n");
        Files.writeString(src.resolve("auth.json"), "{}");

        Cli.Result created = ok(cli, "homes", "create", "work", "--account", "A", "--from", src.toString());
        Path work = tmp.resolve("relay/homes/work");
        assertThat(created.out()).contains("wired to the relay").contains("Copied config.toml, AGENTS.md").contains("CODEX_HOME=" + work);
        assertThat(Files.readString(work.resolve("config.toml"))).contains("model = \"gpt-5\"").contains("model_provider = \"codex-relay\"")
                .contains("x-relay-key");
        assertThat(work.resolve("AGENTS.md")).exists();
        assertThat(work.resolve("auth.json")).doesNotExist();   // a login is never copied: its refresh token works once
        assertThat(Files.getPosixFilePermissions(tmp.resolve("relay/homes.json"))).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        ok(cli, "codex", "on", "--no-start");   // the default home gets the relay's own key; the named home has its own
        String relayKey = Files.readString(tmp.resolve("relay/client.key")).trim();
        assertThat(Files.readString(work.resolve("config.toml"))).doesNotContain(relayKey);

        Cli.Result dup = cli.run("homes", "create", "work");
        assertThat(dup.exit()).isEqualTo(1);
        assertThat(dup.err()).contains("exists already");
        Cli.Result noAccount = cli.run("homes", "create", "other", "--account", "Nobody");
        assertThat(noAccount.exit()).isEqualTo(1);
        assertThat(noAccount.err()).contains("no account 'Nobody'");
        Cli.Result badName = cli.run("homes", "create", "../x");
        assertThat(badName.err()).contains("letters, digits");

        ok(cli, "homes", "create", "play");
        ok(cli, "homes", "bind", "play", "B", "--strict");
        JsonNode list = json.readTree(ok(cli, "homes", "list", "--json").out());
        assertThat(list).hasSize(2);
        assertThat(list.get(0).get("name").asText()).isEqualTo("work");
        assertThat(list.get(0).get("account").asText()).isEqualTo("A");
        assertThat(list.get(0).get("wired").asBoolean()).isTrue();
        assertThat(list.get(1).get("account").asText()).isEqualTo("B");
        assertThat(list.get(1).get("strict").asBoolean()).isTrue();
        assertThat(ok(cli, "homes", "list").out()).doesNotContain("crk_");
        ok(cli, "homes", "bind", "play", "-");
        assertThat(json.readTree(ok(cli, "homes", "list", "--json").out()).get(1).get("account").isNull()).isTrue();

        new SyntheticCodexHome(false).write(work, Path.of("/home/dev/src"), 4, Instant.now(), 5);
        Cli.Result removed = ok(cli, "homes", "remove", "work");
        assertThat(removed.out()).contains("stay where they are");
        assertThat(work.resolve("sessions")).isDirectory();
        assertThat(Files.readString(work.resolve("config.toml"))).doesNotContain("model_provider = \"codex-relay\"");
        assertThat(json.readTree(ok(cli, "homes", "list", "--json").out())).hasSize(1);
        assertThat(cli.run("homes", "bind", "work", "A").err()).contains("no home 'work'");
    }

    @Test
    void sessionsInTwoHomesAreListedAndRepairedTogether() throws Exception {
        Cli cli = cli();
        Path one = tmp.resolve("one"), two = tmp.resolve("two");
        List<SyntheticCodexHome.Made> inOne = new SyntheticCodexHome(false).write(one, Path.of("/home/dev/a"), 8, Instant.now(), 11);
        List<SyntheticCodexHome.Made> inTwo = new SyntheticCodexHome(false).write(two, Path.of("/home/dev/b"), 6, Instant.now(), 12);
        ok(cli, "homes", "create", "one", "--dir", one.toString());
        ok(cli, "homes", "create", "two", "--dir", two.toString());

        JsonNode all = json.readTree(ok(cli, "sessions", "list", "--all", "--all-homes", "--json").out());
        assertThat(all.get("total").asInt()).isEqualTo(14);
        assertThat(all.get("codexHomes").toString()).contains(one.toString()).contains(two.toString());
        assertThat(json.readTree(ok(cli, "sessions", "list", "--all", "--home", "two", "--json").out()).get("total").asInt()).isEqualTo(6);
        Cli.Result unknown = cli.run("sessions", "list", "--home", "nope");
        assertThat(unknown.exit()).isNotZero();
        assertThat(unknown.err()).contains("no home 'nope'");

        long openai = inOne.stream().filter(m -> m.provider().equals("openai")).count()
                + inTwo.stream().filter(m -> m.provider().equals("openai")).count();
        assertThat(openai).isPositive();
        SyntheticCodexHome.Made sample = inTwo.stream().filter(m -> m.provider().equals("openai")).findFirst()
                .orElse(inOne.stream().filter(m -> m.provider().equals("openai")).findFirst().orElseThrow());
        byte[] before = Files.readAllBytes(sample.rollout());
        Cli.Result retag = ok(cli, "sessions", "retag", "--all-homes", "--from", "openai", "--to", "codex-relay");
        assertThat(retag.out()).contains("Undo with: codex-relay sessions undo");
        JsonNode doctor = json.readTree(cli.run("sessions", "doctor", "--all-homes", "--json").out());
        assertThat(doctor.get("providers").get("codex-relay").asInt()).isEqualTo(14);
        assertThat(Files.readAllBytes(sample.rollout())).isNotEqualTo(before);
        ok(cli, "sessions", "undo", "--all-homes");
        assertThat(Files.readAllBytes(sample.rollout())).isEqualTo(before);
    }

    @Test
    void aSessionMovesToAnotherHomeWithAPreviewAndComesBackWithUndo() throws Exception {
        Cli cli = cli();
        Path one = tmp.resolve("one"), two = tmp.resolve("two");
        List<SyntheticCodexHome.Made> inOne = new SyntheticCodexHome(false).write(one, Path.of("/home/dev/a"), 5, Instant.now(), 21);
        new SyntheticCodexHome(false).write(two, Path.of("/home/dev/b"), 3, Instant.now(), 22);
        ok(cli, "homes", "create", "one", "--dir", one.toString());
        ok(cli, "homes", "create", "two", "--dir", two.toString());
        SyntheticCodexHome.Made m = inOne.stream().filter(x -> !x.archived()).findFirst().orElseThrow();
        Path moved = two.resolve(one.relativize(m.rollout()).toString());

        Cli.Result dry = ok(cli, "sessions", "move", m.id(), "--to-home", "two", "--dry-run");
        assertThat(dry.out()).contains("move").contains(moved.toString());
        assertThat(m.rollout()).exists();
        assertThat(moved).doesNotExist();

        ok(cli, "sessions", "move", m.id(), "--to-home", "two");
        assertThat(m.rollout()).doesNotExist();
        assertThat(moved).exists();
        JsonNode inTwo = json.readTree(ok(cli, "sessions", "list", "--all", "--home", "two", "--json").out());
        assertThat(inTwo.get("total").asInt()).isEqualTo(4);
        assertThat(inTwo.get("sessions").toString()).contains(m.id());
        assertThat(json.readTree(ok(cli, "sessions", "list", "--all", "--home", "one", "--json").out()).get("total").asInt()).isEqualTo(4);
        JsonNode shown = json.readTree(ok(cli, "sessions", "show", m.id(), "--home", "two", "--json").out());
        assertThat(shown.toString()).contains("\"hasDbRow\":true");

        Cli.Result again = cli.run("sessions", "move", m.id(), "--to-home", "two");
        assertThat(again.all()).contains("already in");
        ok(cli, "sessions", "undo", "--all-homes");
        assertThat(m.rollout()).exists();
        assertThat(moved).doesNotExist();
        assertThat(json.readTree(ok(cli, "sessions", "list", "--all", "--home", "two", "--json").out()).get("total").asInt()).isEqualTo(3);
    }

    @Test
    void aSessionCopiesToAnotherHomeWithAPreviewAndUndoRemovesOnlyTheCopy() throws Exception {
        Cli cli = cli();
        Path one = tmp.resolve("one"), two = tmp.resolve("two");
        List<SyntheticCodexHome.Made> inOne = new SyntheticCodexHome(false).write(one, Path.of("/home/dev/a"), 5, Instant.now(), 31);
        new SyntheticCodexHome(false).write(two, Path.of("/home/dev/b"), 3, Instant.now(), 32);
        ok(cli, "homes", "create", "one", "--dir", one.toString());
        ok(cli, "homes", "create", "two", "--dir", two.toString());
        SyntheticCodexHome.Made m = inOne.stream().filter(x -> !x.archived()).findFirst().orElseThrow();
        Path copied = two.resolve(one.relativize(m.rollout()).toString());
        byte[] original = Files.readAllBytes(m.rollout());

        Cli.Result dry = ok(cli, "sessions", "copy", m.id(), "--to-home", "two", "--dry-run");
        assertThat(dry.out()).contains("copy").contains(copied.toString());
        assertThat(copied).doesNotExist();

        ok(cli, "sessions", "copy", m.id(), "--to-home", "two");
        assertThat(m.rollout()).exists().hasBinaryContent(original);
        assertThat(copied).exists().hasBinaryContent(original);
        // listed in both homes, with a database row in the target so `codex resume` there finds it
        assertThat(json.readTree(ok(cli, "sessions", "list", "--all", "--home", "one", "--json").out()).get("total").asInt()).isEqualTo(5);
        JsonNode inTwo = json.readTree(ok(cli, "sessions", "list", "--all", "--home", "two", "--json").out());
        assertThat(inTwo.get("total").asInt()).isEqualTo(4);
        assertThat(inTwo.get("sessions").toString()).contains(m.id());
        assertThat(json.readTree(ok(cli, "sessions", "show", m.id(), "--home", "two", "--json").out()).toString()).contains("\"hasDbRow\":true");

        Cli.Result again = cli.run("sessions", "copy", m.id(), "--to-home", "two");
        assertThat(again.all()).contains("already");
        assertThat(cli.run("sessions", "copy", m.id(), "--to-home", "nope").exit()).isNotZero();

        ok(cli, "sessions", "undo", "--all-homes");
        assertThat(copied).doesNotExist();
        assertThat(m.rollout()).exists().hasBinaryContent(original);
        assertThat(json.readTree(ok(cli, "sessions", "list", "--all", "--home", "two", "--json").out()).get("total").asInt()).isEqualTo(3);
        assertThat(json.readTree(ok(cli, "sessions", "list", "--all", "--home", "one", "--json").out()).get("total").asInt()).isEqualTo(5);
    }
}
