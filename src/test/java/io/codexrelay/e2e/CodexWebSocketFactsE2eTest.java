package io.codexrelay.e2e;

import io.codexrelay.testing.CodexCli;
import io.codexrelay.testing.FakeUpstream;
import io.codexrelay.testing.FakeUpstream.ResponsesRequest;
import io.codexrelay.testing.FakeUpstream.Transport;
import io.codexrelay.testing.FakeUpstreamSocket;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

@Tag("e2e")
class CodexWebSocketFactsE2eTest {
    static final List<String> VERSIONS = CodexCli.VERSIONS;
    static final String KEY = "sk-fake-ws-facts-0000000000000000";
    @TempDir Path tmp;

    @ParameterizedTest @FieldSource("VERSIONS")
    void explore(String version) throws Exception {
        CodexCli codex = CodexCli.require(version);
        try (FakeUpstream fake = new FakeUpstream()) {
            Path home = home(fake.apiBaseUrl(), "");
            var r = exec(codex, home, "hello");
            dump(version, fake, r);
        }
    }

    Path home(String baseUrl, String extraProvider) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("codex-home"));
        Files.writeString(dir.resolve("config.toml"), "check_for_update_on_startup = false\nmodel = \"gpt-5.6-sol\"\nmodel_provider = \"fake\"\n\n"
                + "[analytics]\nenabled = false\n\n[model_providers.fake]\nname = \"fake\"\nbase_url = \"" + baseUrl + "\"\n"
                + "wire_api = \"responses\"\nenv_key = \"FAKE_UPSTREAM_KEY\"\nsupports_websockets = true\nrequest_max_retries = 0\n" + extraProvider);
        return dir;
    }

    CodexCli.Result exec(CodexCli codex, Path home, String prompt) throws Exception {
        return codex.run(home, tmp.resolve("work"), Duration.ofSeconds(90), List.of("exec", "--skip-git-repo-check", prompt),
                Map.of("FAKE_UPSTREAM_KEY", KEY));
    }

    static void dump(String version, FakeUpstream fake, CodexCli.Result r) {
        System.out.println("===== " + version + " " + r);
        for (var h : fake.socket().handshakes()) {
            System.out.println("HANDSHAKE #" + h.connection() + " " + h.status() + " " + h.path() + " t=" + h.arrivedNanos() / 1_000_000);
            h.headers().forEach((k, v) -> System.out.println("   " + k + ": " + CodexCli.redact(v)));
        }
        for (ResponsesRequest q : fake.responsesRequests()) {
            var j = q.json();
            System.out.println("REQ " + q.transport() + " conn=" + q.connection() + " t=" + q.arrivedNanos() / 1_000_000 + " type=" + j.path("type")
                    + " generate=" + j.path("generate") + " prev=" + j.path("previous_response_id") + " inputs=" + j.path("input").size()
                    + " keys=" + iter(j.fieldNames()) + " client_metadata=" + j.path("client_metadata"));
            if (q.transport() == Transport.HTTP) q.headers().forEach((k, v) -> System.out.println("   " + k + ": " + CodexCli.redact(v)));
        }
        for (var c : fake.socket().closes()) System.out.println("CLOSE " + c);
    }

    static String iter(java.util.Iterator<String> it) {
        StringBuilder b = new StringBuilder();
        it.forEachRemaining(s -> b.append(s).append(','));
        return b.toString();
    }
}
