package io.codexrelay.proxy;

import io.codexrelay.config.ConfigWatch;
import io.codexrelay.config.RelayConfig;
import io.codexrelay.testing.FakeUpstream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A hand edit of config.toml's {@code [[redact]]} rules reaches the relay without a restart (issue 12): the file watch
 * reloads it with the loader and the next request is redacted by the new rules; a broken edit is reported with the
 * loader's message (naming the rule, never its pattern) and the rules in force stay.
 */
class RedactionHandEditTest {
    @TempDir Path dir;
    RelayHarness h;
    ConfigWatch watch;
    final BlockingQueue<RelayConfig> loaded = new LinkedBlockingQueue<>();
    final BlockingQueue<String> broken = new LinkedBlockingQueue<>();

    @BeforeEach
    void setUp() throws Exception {
        h = new RelayHarness(dir);
    }

    @AfterEach
    void tearDown() throws Exception {
        if (watch != null) watch.close();
        h.close();
    }

    private static String request(String text) {
        return "{\"model\":\"gpt-5-codex\",\"stream\":true,\"store\":false,\"input\":[{\"type\":\"message\",\"role\":\"user\","
                + "\"content\":[{\"type\":\"input_text\",\"text\":\"" + text + "\"}]}]}";
    }

    private String sentText(int i) throws Exception {
        return h.fake.responsesRequests().get(i).json().path("input").get(0).path("content").get(0).path("text").asText();
    }

    @Test
    void aHandEditAppliesToTheNextRequestAndABrokenEditKeepsTheRulesInForce() throws Exception {
        h.apiKey("R", 1, h.fake.apiBaseUrl(), null);
        h.fake.enqueue("sk-R", FakeUpstream.success("one"), FakeUpstream.success("two"), FakeUpstream.success("three"));
        h.startServer();
        Path file = dir.resolve("watched").resolve("config.toml");
        Files.createDirectories(file.getParent());
        Files.writeString(file, "[log]\nlevel = \"info\"\n");
        watch = new ConfigWatch(file, Duration.ofMillis(50), c -> { h.relay.applyConfig(c); loaded.add(c); }, broken::add).start();
        String body = request("alpha beta gamma");

        h.post(body);
        Files.writeString(file, "[log]\nlevel = \"info\"\n\n[[redact]]\nname = \"greek\"\nliteral = \"beta\"\nreplacement = \"B\"\n");
        RelayConfig applied = loaded.poll(30, TimeUnit.SECONDS);
        assertThat(applied).as("the hand edit was reloaded").isNotNull();
        assertThat(applied.redactions()).extracting(r -> r.label()).containsExactly("greek");
        h.post(body);

        Files.writeString(file, "[[redact]]\nname = \"broken\"\npattern = \"gam(ma\"\n");
        String why = broken.poll(30, TimeUnit.SECONDS);
        assertThat(why).as("the broken edit was reported").isNotNull()
                .contains("'broken'").contains("not a valid regular expression").doesNotContain("gam(ma");
        assertThat(loaded).as("nothing was applied from the broken file").isEmpty();
        h.post(body);

        assertThat(sentText(0)).isEqualTo("alpha beta gamma");
        assertThat(sentText(1)).isEqualTo("alpha B gamma");
        assertThat(sentText(2)).as("the old rules stay in force").isEqualTo("alpha B gamma");
    }
}
