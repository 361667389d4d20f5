package io.codexrelay.proxy;

import io.codexrelay.config.RelayConfig;
import org.junit.jupiter.api.Test;

import java.net.URI;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Upstream addresses are parsed once per text, not per request, and parse exactly as {@link URI#create} does. */
class UpstreamAddressTest {

    @Test
    void theSameAddressIsParsedOnceAndReadAsURICreateReadsIt() {
        try (UpstreamClient client = new UpstreamClient(RelayConfig.defaults().upstream())) {
            URI first = client.uri("https://chatgpt.com/backend-api/codex/responses");
            assertThat(first).isEqualTo(URI.create("https://chatgpt.com/backend-api/codex/responses"));
            assertThat(client.uri("https://chatgpt.com/backend-api/codex/responses")).isSameAs(first);
            URI withQuery = client.uri("http://127.0.0.1:8080/v1/models?client_version=0.169.0");
            assertThat(withQuery.getRawQuery()).isEqualTo("client_version=0.169.0");
            assertThat(withQuery.getPort()).isEqualTo(8080);
        }
    }

    @Test
    void manyDifferentAddressesNeverGrowWithoutBoundAndStillParse() {
        try (UpstreamClient client = new UpstreamClient(RelayConfig.defaults().upstream())) {
            URI kept = null;
            for (int i = 0; i < 1000; i++) {
                URI u = client.uri("http://127.0.0.1:9/v1/models?n=" + i);
                assertThat(u.getRawQuery()).isEqualTo("n=" + i);
                if (i == 999) kept = u;
            }
            assertThat(client.uri("http://127.0.0.1:9/v1/models?n=999")).isSameAs(kept);
            assertThat(client.urisKept()).isLessThanOrEqualTo(64);
        }
    }

    @Test
    void aMalformedAddressFailsAsBeforeAndIsNotKept() {
        try (UpstreamClient client = new UpstreamClient(RelayConfig.defaults().upstream())) {
            assertThatThrownBy(() -> client.uri("http://bad host/v1")).isInstanceOf(IllegalArgumentException.class);
            assertThat(client.urisKept()).isZero();
        }
    }
}
